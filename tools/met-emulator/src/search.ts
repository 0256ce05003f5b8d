import { departmentIdOf } from './collection/index.js';
import type { MetObjectRecord } from './schemas.js';

/** Parsed, validated `GET /search` parameters. */
export interface SearchQuery {
  q: string;
  title?: boolean;
  tags?: boolean;
  hasImages?: boolean;
  isHighlight?: boolean;
  isOnView?: boolean;
  artistOrCulture?: boolean;
  departmentId?: number;
  medium?: readonly string[];
  geoLocation?: readonly string[];
  dateBegin?: number;
  dateEnd?: number;
}

/** The `GET /search` body; `objectIDs` is null (not `[]`) when nothing matches, as on the real API. */
export interface SearchResult {
  total: number;
  objectIDs: number[] | null;
}

const noMatch = Number.POSITIVE_INFINITY;

function normalise(text: string): string {
  return text.toLocaleLowerCase('en').normalize('NFKC');
}

function matchesText(haystack: string, phrase: string, words: readonly string[]): boolean {
  const text = normalise(haystack);
  return text.includes(phrase) || (words.length > 1 && words.every((word) => text.includes(word)));
}

/**
 * Relevance rank of one record for the query: lower is better, `Infinity` means no match.
 * Title matches outrank artist matches, which outrank tag matches, so a title search for "garden"
 * lists "Garden at Sainte-Adresse" (starts with) before "... in Their Garden at ..." (contains).
 */
function rank(record: MetObjectRecord, query: SearchQuery): number {
  const phrase = normalise(query.q.trim());
  const words = phrase.split(/\s+/).filter((word) => word.length > 0);
  const title = normalise(record.title);
  const titleRank = (): number => {
    if (title === phrase) return 0;
    if (title.startsWith(phrase)) return 1;
    if (title.includes(phrase)) return 2;
    if (words.length > 1 && words.every((word) => title.includes(word))) return 3;
    return noMatch;
  };
  const tagRank = (): number => ((record.tags ?? []).some((tag) => matchesText(tag.term, phrase, words)) ? 5 : noMatch);

  if (query.title) return titleRank();
  if (query.tags) return tagRank();
  if (query.artistOrCulture) {
    return matchesText(record.artistDisplayName, phrase, words) || matchesText(record.culture, phrase, words)
      ? 4
      : noMatch;
  }
  return Math.min(titleRank(), matchesText(record.artistDisplayName, phrase, words) ? 4 : noMatch, tagRank());
}

/**
 * Models the real quirk that `hasImages=true` also returns objects whose `primaryImage` is "":
 * the Met holds pictures of non-public-domain objects that it does not publish, so those count as
 * "having images" here too.
 */
export function countsAsHavingImages(record: MetObjectRecord): boolean {
  return record.primaryImage !== '' || !record.isPublicDomain;
}

function anyContains(fields: readonly string[], values: readonly string[]): boolean {
  const haystacks = fields.map(normalise);
  return values.some((value) => haystacks.some((field) => field.includes(normalise(value))));
}

function passesFilters(record: MetObjectRecord, query: SearchQuery): boolean {
  if (query.hasImages && !countsAsHavingImages(record)) return false;
  if (query.isHighlight && !record.isHighlight) return false;
  if (query.isOnView && record.GalleryNumber === '') return false;
  if (query.departmentId !== undefined && departmentIdOf(record) !== query.departmentId) return false;
  if (query.medium && !anyContains([record.classification, record.medium, record.objectName], query.medium)) {
    return false;
  }
  if (
    query.geoLocation &&
    !anyContains(
      [record.country, record.city, record.state, record.region, record.subregion, record.culture],
      query.geoLocation,
    )
  ) {
    return false;
  }
  if (query.dateBegin !== undefined && query.dateEnd !== undefined) {
    if (record.objectBeginDate > query.dateEnd || record.objectEndDate < query.dateBegin) return false;
  }
  return true;
}

/**
 * Runs a search over the records: whole-phrase or every-word substring matching, case-insensitive,
 * ordered by relevance then objectID so results are deterministic.
 */
export function searchObjects(records: readonly MetObjectRecord[], query: SearchQuery): SearchResult {
  const ranked = records
    .map((record) => ({ record, rank: rank(record, query) }))
    .filter(({ record, rank: score }) => score !== noMatch && passesFilters(record, query))
    .sort((left, right) => left.rank - right.rank || left.record.objectID - right.record.objectID);
  if (ranked.length === 0) return { total: 0, objectIDs: null };
  return { total: ranked.length, objectIDs: ranked.map(({ record }) => record.objectID) };
}
