import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Swagger UI files served from the installed `swagger-ui-dist` package (no CDN). */
const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>EventFlow API</title>
    <link rel="stylesheet" href="/swagger/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/swagger/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/swagger/swagger-ui-bundle.js"></script>
    <script src="/swagger/swagger-ui-standalone-preset.js"></script>
    <script src="/swagger/init.js"></script>
  </body>
</html>
`;

// Kept out of the page so the UI works under a Content-Security-Policy without
// 'unsafe-inline'. persistAuthorization keeps the Authorize token across reloads.
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

/** The contract document and the Swagger UI, loaded once at start-up. */
export class StaticAssets {
  readonly openapi: StaticAsset;
  readonly #swagger = new Map<string, StaticAsset>();

  constructor(openapiText: string) {
    this.openapi = asset(Buffer.from(openapiText), 'application/json; charset=utf-8');

    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('swagger-ui-dist/package.json'));
    for (const [name, type] of Object.entries(SWAGGER_FILES)) {
      this.#swagger.set(name, asset(readFileSync(join(root, name)), type));
    }
    this.#swagger.set('index.html', asset(Buffer.from(INDEX_HTML), 'text/html; charset=utf-8'));
    this.#swagger.set('init.js', asset(Buffer.from(INIT_JS), 'text/javascript; charset=utf-8'));
  }

  /** `/swagger`, `/swagger/` and `/swagger/index.html` are the page; other names are files. */
  swagger(path: string): StaticAsset | undefined {
    const name = path.replace(/^\/swagger\/?/i, '');
    return this.#swagger.get(name === '' ? 'index.html' : name);
  }
}

function asset(body: Buffer, contentType: string): StaticAsset {
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, contentType, etag };
}
