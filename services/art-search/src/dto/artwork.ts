/** What the search service returns: our own shapes, independent of the Met's wire format and of HTTP. */

export interface Artwork {
  objectId: number;
  title: string;
  /** The artist's display name, or null when the Met records none. */
  artist: string | null;
  department: string;
  objectDate: string | null;
  /** Open-access image URL, or null when the object has none. */
  primaryImage: string | null;
  primaryImageSmall: string | null;
  additionalImages: string[];
  objectUrl: string | null;
}

export interface ArtworkSearchResult extends Artwork {
  /** How many objects matched the query (for a lookup by id: 1). */
  totalResults: number;
}

export interface Department {
  id: number;
  name: string;
}

export interface ArtworkSearchQuery {
  title: string;
  departmentId?: number | undefined;
}

/** A page of a search: which slice of the matches to fill in with their records. */
export interface ArtworkPageQuery {
  /** Words to look for. */
  query: string;
  /** Only in titles (true), or anywhere in the record the Met indexes: artist, culture, tags, description (false). */
  titleOnly: boolean;
  departmentId?: number | undefined;
  /** Only objects with an image (the Met's `hasImages`, which some records with no open-access image pass). */
  hasImages?: boolean | undefined;
  /** How many records to fill in, from `offset` on in the Met's relevance order. */
  limit: number;
  offset: number;
}

export interface ArtworkPage {
  /** How many objects matched the query in all. */
  total: number;
  offset: number;
  /** The filled-in records of the page, in the Met's order; IDs the Met no longer knows are left out. */
  artworks: Artwork[];
}
