#!/usr/bin/env bash
# Restores the pinned Bicep CLI (bicep.csproj) from NuGet and prints the path of the binary.
# Progress goes to stderr so that callers can capture the path: BICEP_PATH="$(bash .ci/bicep/install.sh)".
set -euo pipefail
cd "$(dirname "$0")"
dotnet restore bicep.csproj --nologo -v quiet >&2
# NuGetPackageRoot is the global packages folder the restore used (NUGET_PACKAGES or ~/.nuget/packages/).
root="$(dotnet msbuild bicep.csproj -nologo -getProperty:NuGetPackageRoot)"
version="$(dotnet msbuild bicep.csproj -nologo -getProperty:BicepCliVersion)"
bicep="${root%/}/azure.bicep.commandline.linux-x64/${version}/tools/bicep"
"$bicep" --version >&2
echo "$bicep"
