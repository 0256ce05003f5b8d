import { describe, expect, it } from 'vitest';
import { type MetObjectRecord, sampleObjects, searchObjects } from '../../src/index.js';

/*
 * Queries the art-search tests rely on (bundled data, relevance order = exact title, title starts with,
 * title contains the phrase, title has every word, artist, tag; ties by objectID):
 * - first ID without an image, a later one with: `q=garden&title=true` (with or without hasImages=true)
 *   -> [437133 Garden at Sainte-Adresse (no image), 436965 The Monet Family in Their Garden at Argenteuil
 *   (image), 438003 Camille Monet ... on a Garden Bench (no image)]
 * - several results: `q=van gogh` -> 10 IDs (all with images); `q=landscape&title=true` -> 4 IDs
 * - exact title first: `q=sunflowers` -> [436524]; `q=Wheat Field with Cypresses&title=true` -> [436535]
 * - no result: `q=zzzz` -> {"total":0,"objectIDs":null}
 */

function byId(objectID: number): MetObjectRecord {
  const record = sampleObjects.find((candidate) => candidate.objectID === objectID);
  if (record === undefined) throw new Error(`sample object ${objectID} missing`);
  return record;
}

describe('searchObjects', () => {
  it('puts a title match without an image first and one with an image second for q=garden&title=true', () => {
    // Given a title search for "garden"
    const query = { q: 'garden', title: true };

    // When it runs over the bundled records
    const result = searchObjects(sampleObjects, query);

    // Then the first ID has no primaryImage and the second has one
    expect(result).toEqual({ total: 3, objectIDs: [437133, 436965, 438003] });
    expect(byId(437133).primaryImage).toBe('');
    expect(byId(436965).primaryImage).toMatch(/^https:\/\/images\.metmuseum\.org\//);
  });

  it('keeps the image-less non-public-domain objects when hasImages=true, like the real API', () => {
    // Given the same title search restricted to objects "with images"
    const query = { q: 'garden', title: true, hasImages: true };

    // When it runs
    const result = searchObjects(sampleObjects, query);

    // Then the Met's quirk is reproduced: the first ID still has primaryImage ""
    expect(result.objectIDs).toEqual([437133, 436965, 438003]);
  });

  it('drops public-domain objects that have no image when hasImages=true', () => {
    // Given a public-domain record whose image is missing, next to the real one
    const withImage = byId(436535);
    const withoutImage: MetObjectRecord = { ...withImage, objectID: 1, primaryImage: '', primaryImageSmall: '' };

    // When searching with and without hasImages
    const all = searchObjects([withoutImage, withImage], { q: 'wheat field' });
    const withImages = searchObjects([withoutImage, withImage], { q: 'wheat field', hasImages: true });

    // Then only the filter removes the image-less record
    expect(all.objectIDs).toEqual([1, 436535]);
    expect(withImages.objectIDs).toEqual([436535]);
  });

  it('answers {"total":0,"objectIDs":null} when nothing matches', () => {
    // Given a query no record contains
    // When it runs
    const result = searchObjects(sampleObjects, { q: 'zzzz' });

    // Then objectIDs is null, not an empty list
    expect(result).toEqual({ total: 0, objectIDs: null });
  });

  it('matches artists, case-insensitively, when title is not set', () => {
    // Given an artist name in another case
    // When searching without title=true
    const result = searchObjects(sampleObjects, { q: 'VAN GOGH' });

    // Then every van Gogh record is found, ordered by objectID (equal relevance)
    expect(result.objectIDs).toEqual([436524, 436525, 436528, 436532, 436533, 436534, 436535, 436536, 437984, 459123]);
  });

  it('orders exact title, then starts-with, then contains for q=landscape&title=true', () => {
    // Given a word that is a whole title, a title prefix and a title part
    // When searching titles
    const result = searchObjects(sampleObjects, { q: 'landscape', title: true });

    // Then "Landscape" (x2), "Landscapes", "Case (Inrō) with Design of Landscape" come in that order
    expect(result.objectIDs).toEqual([342003, 359362, 65555, 65398]);
  });

  it('falls back to every query word being present when the phrase itself is not', () => {
    // Given two title words that are not adjacent in the title
    // When searching titles
    const result = searchObjects(sampleObjects, { q: 'wheat cypresses', title: true });

    // Then "Wheat Field with Cypresses" matches
    expect(result.objectIDs).toEqual([436535]);
  });

  it('searches only tag terms with tags=true', () => {
    // Given a tag term that also appears in titles ("Portrait of ...")
    // When searching tags only
    const result = searchObjects(sampleObjects, { q: 'Portraits', tags: true });

    // Then only records tagged Portraits are returned
    expect(result.objectIDs).toEqual([436286, 459123]);
  });

  it('searches artist and culture only with artistOrCulture=true', () => {
    // Given a culture name
    // When searching artist or culture
    const result = searchObjects(sampleObjects, { q: 'japan', artistOrCulture: true });

    // Then records whose culture is Japan are returned
    expect(result.objectIDs).toEqual([56353, 65398, 843269]);
  });

  it.each([
    ['departmentId=15', { q: 'van gogh', departmentId: 15 }, [459123]],
    [
      'departmentId=21 through the "Modern and Contemporary Art" spelling',
      { q: 'orpheus', departmentId: 21 },
      [485938],
    ],
    ['isHighlight=true', { q: 'van gogh', isHighlight: true }, [436535, 459123]],
    ['isOnView=true (GalleryNumber set)', { q: 'van gogh', isOnView: true }, [436533, 459123]],
    ['medium=Sculpture', { q: 'samson', medium: ['Sculpture'] }, [203933]],
    ['medium=Paintings', { q: 'samson', medium: ['Paintings'] }, null],
    ['geoLocation=France|Iran', { q: 'shahnama', geoLocation: ['France', 'Iran'] }, [452641, 452655]],
    ['dateBegin=1888&dateEnd=1888', { q: 'van gogh', dateBegin: 1888, dateEnd: 1888 }, [436533, 459123]],
  ])('honours %s', (_name, query, expected) => {
    // Given a query with one filter
    // When it runs
    const result = searchObjects(sampleObjects, query);

    // Then only the records passing the filter remain
    expect(result.objectIDs).toEqual(expected);
  });
});
