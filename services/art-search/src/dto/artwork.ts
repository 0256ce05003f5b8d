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
