/**
 * The overhead floor for `bench:search`: a bare node:http server that answers `/api/search?title=` with the
 * same two upstream calls art-search makes (search, then the top hit's record) through an undici keep-alive
 * pool, and nothing else: no validation, logging, metrics, caching or error mapping.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const metOrigin = process.env.MET_API_URL ?? 'http://127.0.0.1:8090';
const port = Number(process.env.PORT ?? 0);
const pool = new Pool(metOrigin, { connections: 16 });

async function getJson(path: string): Promise<unknown> {
  const response = await pool.request({ method: 'GET', path });
  return response.body.json();
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url ?? '/', 'http://floor');
    const title = url.searchParams.get('title') ?? '';
    const search = (await getJson(
      `/public/collection/v1/search?title=true&hasImages=true&q=${encodeURIComponent(title)}`,
    )) as { objectIDs: number[] | null };
    const firstId = search.objectIDs?.[0];
    if (firstId === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"No results found."}');
      return;
    }
    const object = (await getJson(`/public/collection/v1/objects/${firstId}`)) as { primaryImage: string };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(object.primaryImage));
  } catch {
    response.writeHead(502).end();
  }
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`floor listening on ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void pool.close();
});
