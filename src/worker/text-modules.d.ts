// The asset files src/worker/assets.ts and the migrations src/worker/migration-files.ts import as text (wrangler.toml [[rules]] type "Text").
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/assets/page.js' {
  const text: string;
  export default text;
}
declare module '*.sql' {
  const text: string;
  export default text;
}
