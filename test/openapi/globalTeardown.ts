import { printCoverage } from './printCoverage';

export default function globalTeardown(): void {
  printCoverage();
}
