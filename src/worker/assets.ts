/**
 * The page's and the console's assets, bundled as text modules (wrangler.toml [[rules]] type
 * "Text"): a Worker has no disk to read them from at run time. Handed to the routes once, as the
 * isolate loads this module.
 */
import { provideBundledAssets } from '../http/pages/bundled-assets.ts';
import pageJs from '../http/pages/assets/page.js';
import pageCss from '../http/pages/assets/page.css';
import consoleCss from '../http/console/assets/console.css';

provideBundledAssets({ 'page.js': pageJs, 'page.css': pageCss, 'console.css': consoleCss });
