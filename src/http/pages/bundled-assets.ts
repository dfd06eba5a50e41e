/**
 * The page's and the console's static files as a Worker carries them. On Node they are read from
 * disk beside their routes; a Worker has no disk, so its entry hands them over, imported as text
 * (src/worker/assets.ts, wrangler.toml [[rules]]), before it builds the app.
 */
const bundled = new Map<string, string>();

/** Workers: the asset files by name (`page.js`, `page.css`, `console.css`). */
export function provideBundledAssets(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) bundled.set(name, text);
}

/** The asset's text when a Worker provided it; undefined on Node (read it from disk). */
export function bundledAsset(name: string): string | undefined {
  return bundled.get(name);
}
