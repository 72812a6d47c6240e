import { clearCoverage } from './printCoverage';

export default function globalSetup(): void {
  clearCoverage();
}
