/** A repo path or registry value as printed: as is when plain, JSON-quoted otherwise (a line break cannot start a line). */
export function shownPath(text: string): string {
  return /^[\w@./+~-]+$/.test(text) ? text : JSON.stringify(text);
}
