// @ts-check
import { defineConfig } from 'astro/config';

// GitHub Pages serves a project site under /<repo>/: pages.yml passes SITE_URL and BASE_PATH.
const base = process.env.BASE_PATH || '/';

export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  outDir: process.env.AIFACTORY_SITE_OUT || './dist',
  site: process.env.SITE_URL || undefined,
  base: base.endsWith('/') ? base : `${base}/`,
  trailingSlash: 'always',
  build: { format: 'directory' },
  devToolbar: { enabled: false },
});
