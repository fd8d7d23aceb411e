import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { projectRoot } from '../../src/paths.js';
import {
  assertMatchesContract,
  assertProblem,
  mediaTypeOf,
  TRACE_ID,
} from '../support/openapi-responses.js';
import { dialectSuites, expectStatus } from './api-fixture.js';

await dialectSuites(
  'Swagger UI and openapi.json',
  (test, api) => {
    test('serves the Swagger UI page as HTML that loads the bundled UI and its init script', async () => {
      const response = await api.get('/swagger');

      expectStatus(response, 200);
      assert.is(mediaTypeOf(response), 'text/html');
      assert.match(response.headers.get('x-trace-id') ?? '', TRACE_ID);
      assert.match(response.text, /<script[^>]+src="\/swagger\/swagger-ui-bundle\.js"/);
      assert.match(response.text, /<script[^>]+src="\/swagger\/init\.js"/);
      assert.not.match(response.text, /https?:\/\/(unpkg|cdn)/i, 'no CDN');
    });

    test('serves the same page at /swagger/ and case-insensitively', async () => {
      const page = await api.get('/swagger');

      for (const path of ['/swagger/', '/SWAGGER', '/Swagger/index.html']) {
        const response = await api.get(path);
        expectStatus(response, 200);
        assert.is(response.text, page.text, path);
      }
    });

    test('serves the Swagger UI bundle as JavaScript', async () => {
      const response = await api.get('/swagger/swagger-ui-bundle.js');

      expectStatus(response, 200);
      assert.is(mediaTypeOf(response), 'text/javascript');
      assert.ok(response.text.length > 100_000, 'the whole bundle');
      assert.match(response.text, 'SwaggerUIBundle');
    });

    test('serves the stylesheet and the standalone preset the page links to', async () => {
      const css = await api.get('/swagger/swagger-ui.css');
      const preset = await api.get('/swagger/swagger-ui-standalone-preset.js');

      expectStatus(css, 200);
      assert.is(mediaTypeOf(css), 'text/css');
      expectStatus(preset, 200);
      assert.is(mediaTypeOf(preset), 'text/javascript');
    });

    test('points the UI at /openapi.json from init.js, with the token kept for the Authorize button', async () => {
      const response = await api.get('/swagger/init.js');

      expectStatus(response, 200);
      assert.is(mediaTypeOf(response), 'text/javascript');
      assert.match(response.text, /url:\s*['"]\/openapi\.json['"]/);
      assert.match(response.text, /SwaggerUIBundle\(/);
    });

    test('answers 404 ROUTE_NOT_FOUND for a file the UI does not have', async () => {
      for (const path of [
        '/swagger/nope.js',
        '/swagger/../package.json',
        '/swagger/%2e%2e/package.json',
      ]) {
        const response = await api.get(path);

        assert.ok(response.status === 404, `${path}: ${response.status}`);
        assertProblem(response, 404, 'ROUTE_NOT_FOUND');
      }
    });

    test('serves openapi.json as the parsed contract: OpenAPI 3.1.0 with the bearerAuth scheme', async () => {
      const response = await api.get('/openapi.json');
      const onDisk = JSON.parse(
        readFileSync(join(projectRoot(), 'openapi.json'), 'utf8'),
      ) as unknown;

      expectStatus(response, 200);
      assertMatchesContract('openapi.get', response);
      assert.equal(response.body, onDisk);
      assert.is(response.body.openapi, '3.1.0');
      assert.equal(response.body.components.securitySchemes.bearerAuth, {
        ...response.body.components.securitySchemes.bearerAuth,
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
      });
    });

    test('answers 304 to If-None-Match for openapi.json and the Swagger files', async () => {
      for (const path of ['/openapi.json', '/swagger', '/swagger/swagger-ui-bundle.js']) {
        const etag = (await api.get(path)).headers.get('etag');
        assert.ok(etag !== null, `${path} has an ETag`);

        const response = await api.get(path, { 'if-none-match': etag });

        assert.is(response.status, 304, path);
        assert.is(response.text, '');
        assert.is(response.headers.get('etag'), etag);
        if (path === '/openapi.json') assertMatchesContract('openapi.get', response);
      }
    });

    test('answers 405 to a write on the Swagger page', async () => {
      const response = await api.request('POST', '/swagger');

      assertProblem(response, 405, 'METHOD_NOT_ALLOWED');
      assert.is(response.headers.get('allow'), 'GET');
    });
  },
  { login: false },
);
