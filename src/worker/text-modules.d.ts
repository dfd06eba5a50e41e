// The asset files src/worker/assets.ts imports as text (wrangler.toml [[rules]] type "Text").
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/assets/page.js' {
  const text: string;
  export default text;
}
