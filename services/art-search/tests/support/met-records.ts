/**
 * Builds a Met object record as it appears on the wire, from a few real fields. Every field the API sends is
 * present (mostly "" as the Met writes unknown values), so parsing is exercised on the real shape.
 */
export function metRecord(fields: Record<string, unknown> & { objectID: number }): Record<string, unknown> {
  return {
    isHighlight: false,
    accessionNumber: '',
    accessionYear: '',
    isPublicDomain: true,
    primaryImage: '',
    primaryImageSmall: '',
    additionalImages: [],
    constituents: null,
    department: '',
    objectName: '',
    title: '',
    culture: '',
    period: '',
    dynasty: '',
    reign: '',
    portfolio: '',
    artistRole: '',
    artistPrefix: '',
    artistDisplayName: '',
    artistDisplayBio: '',
    artistSuffix: '',
    artistAlphaSort: '',
    artistNationality: '',
    artistBeginDate: '',
    artistEndDate: '',
    artistGender: '',
    artistWikidata_URL: '',
    artistULAN_URL: '',
    objectDate: '',
    objectBeginDate: 0,
    objectEndDate: 0,
    medium: '',
    dimensions: '',
    measurements: null,
    creditLine: '',
    geographyType: '',
    city: '',
    state: '',
    county: '',
    country: '',
    region: '',
    subregion: '',
    locale: '',
    locus: '',
    excavation: '',
    river: '',
    classification: '',
    rightsAndReproduction: '',
    linkResource: '',
    metadataDate: '2023-02-07T04:46:39.113Z',
    repository: 'Metropolitan Museum of Art, New York, NY',
    objectURL: `https://www.metmuseum.org/art/collection/search/${fields.objectID}`,
    tags: null,
    objectWikidata_URL: '',
    isTimelineWork: false,
    GalleryNumber: '',
    ...fields,
  };
}

/** The Death of Socrates, as the Met serves it (the service's canonical example). */
export const deathOfSocrates = metRecord({
  objectID: 436105,
  isHighlight: true,
  accessionNumber: '31.45',
  title: 'The Death of Socrates',
  artistDisplayName: 'Jacques Louis David',
  department: 'European Paintings',
  objectDate: '1787',
  primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg',
  primaryImageSmall: 'https://images.metmuseum.org/CRDImages/ep/web-large/DP102929.jpg',
  GalleryNumber: '614',
});

export const wheatField = metRecord({
  objectID: 436535,
  title: 'Wheat Field with Cypresses',
  artistDisplayName: 'Vincent van Gogh',
  department: 'European Paintings',
  objectDate: '1889',
  primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP-42549-001.jpg',
  primaryImageSmall: 'https://images.metmuseum.org/CRDImages/ep/web-large/DP-42549-001.jpg',
});

export const workTable = metRecord({
  objectID: 10000,
  title: 'Work Table',
  department: 'The American Wing',
  primaryImage: 'https://images.metmuseum.org/CRDImages/ad/original/17653.jpg',
});

/** A record without an open-access image, as the Met sends for objects it may not publish. */
export const withoutImage = (objectID: number, title = 'Untitled') =>
  metRecord({ objectID, title, isPublicDomain: false, department: 'European Paintings' });
