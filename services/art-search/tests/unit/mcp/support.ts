import { NotFoundError } from '@mlms/service-kit';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type {
  Artwork,
  ArtworkPage,
  ArtworkPageQuery,
  ArtworkSearchResult,
  Department,
} from '../../../src/dto/artwork.js';
import { createArtSearchMcpServer } from '../../../src/mcp/server.js';
import type { ArtSearchOperations, ImageSource } from '../../../src/mcp/tools.js';
import type { FetchedImage } from '../../../src/provider/image-provider.js';
import { socratesArtwork } from '../../support/artworks.js';

export const socrates: Artwork = (({ totalResults: _, ...artwork }) => artwork)(socratesArtwork(1));

/** A stand-in for the search service: answers from fixed data, or throws what a test sets, and records calls. */
export class StubSearchService implements ArtSearchOperations {
  readonly pageQueries: ArtworkPageQuery[] = [];
  failure: Error | undefined;
  artworks: Artwork[] = [socrates];
  total = 1;
  departments: Department[] = [{ id: 11, name: 'European Paintings' }];

  async searchArtworks(query: ArtworkPageQuery): Promise<ArtworkPage> {
    this.pageQueries.push(query);
    if (this.failure) throw this.failure;
    return { total: this.total, offset: query.offset, artworks: this.artworks };
  }

  async getArtwork(objectId: number): Promise<ArtworkSearchResult> {
    if (this.failure) throw this.failure;
    const artwork = this.artworks.find((candidate) => candidate.objectId === objectId);
    if (!artwork) throw new NotFoundError(`No artwork with object ID ${objectId}.`);
    return { ...artwork, totalResults: 1 };
  }

  async listDepartments(): Promise<Department[]> {
    if (this.failure) throw this.failure;
    return this.departments;
  }
}

export class StubImages implements ImageSource {
  readonly urls: string[] = [];
  failure: Error | undefined;

  async fetch(url: string): Promise<FetchedImage> {
    this.urls.push(url);
    if (this.failure) throw this.failure;
    return { data: Buffer.from([0xff, 0xd8, 0xff]), mimeType: 'image/jpeg' };
  }
}

export interface Connected {
  client: Client;
  service: StubSearchService;
  images: StubImages;
  logged: { fields: object; message: string }[];
  close(): Promise<void>;
}

/** The real MCP server over a stub service, and the SDK's client, linked in memory. */
export async function connectToStubbedServer(): Promise<Connected> {
  const service = new StubSearchService();
  const images = new StubImages();
  const logged: Connected['logged'] = [];
  const server = createArtSearchMcpServer(
    { service, images, log: { error: (fields, message) => logged.push({ fields, message }) } },
    '0.0.0-test',
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'unit-tests', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    service,
    images,
    logged,
    async close() {
      await client.close();
      await server.close();
    },
  };
}
