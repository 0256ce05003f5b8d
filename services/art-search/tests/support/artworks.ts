import type { ArtworkSearchResult } from '../../src/dto/artwork.js';

/** The Death of Socrates as the service returns it, for tests of the layers above the provider. */
export function socratesArtwork(totalResults: number): ArtworkSearchResult {
  return {
    objectId: 436105,
    title: 'The Death of Socrates',
    artist: 'Jacques Louis David',
    department: 'European Paintings',
    objectDate: '1787',
    primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg',
    primaryImageSmall: 'https://images.metmuseum.org/CRDImages/ep/web-large/DP102929.jpg',
    additionalImages: [],
    objectUrl: 'https://www.metmuseum.org/art/collection/search/436105',
    totalResults,
  };
}
