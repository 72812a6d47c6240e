/** How Logic Apps writes a date-time: UTC with seven fractional digits (ARM's createdTime, a callback URL's `se`). */
export function logicAppsTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_match, milliseconds: string) => `.${milliseconds}0000Z`);
}
