import { describe, expect, it } from 'vitest';
import { departmentIdOf, metObjectRecordSchema, sampleDepartments, sampleObjects } from '../../src/index.js';

const imageUrlPattern = /^https:\/\/images\.metmuseum\.org\/CRDImages\//;

describe('bundled sample collection', () => {
  it('holds at least 40 records that all match the Met object record shape', () => {
    // Given the bundled records
    const records = sampleObjects;

    // When each one is checked against the strict record schema
    const failures = records.filter((record) => !metObjectRecordSchema.safeParse(record).success);

    // Then there are enough of them and none is malformed
    expect(records.length).toBeGreaterThanOrEqual(40);
    expect(failures).toEqual([]);
  });

  it('has unique object IDs, sorted ascending', () => {
    // Given the object IDs in bundle order
    const ids = sampleObjects.map((record) => record.objectID);

    // When they are de-duplicated and sorted
    const sortedUnique = [...new Set(ids)].sort((left, right) => left - right);

    // Then nothing was lost and the order was already ascending
    expect(ids).toEqual(sortedUnique);
  });

  it('lists the 19 real departments with IDs 1, 3-19 and 21', () => {
    // Given the bundled departments
    const ids = sampleDepartments.map((department) => department.departmentId);

    // When compared with the Met's department ID list
    const expected = [1, ...Array.from({ length: 17 }, (_, index) => index + 3), 21];

    // Then they are exactly those, with the real display names for a few well-known ones
    expect(ids).toEqual(expected);
    expect(sampleDepartments).toContainEqual({ departmentId: 11, displayName: 'European Paintings' });
    expect(sampleDepartments).toContainEqual({ departmentId: 15, displayName: 'The Robert Lehman Collection' });
    expect(sampleDepartments).toContainEqual({ departmentId: 21, displayName: 'Modern Art' });
  });

  it('maps every record department to an existing department ID', () => {
    // Given the known department IDs
    const known = new Set(sampleDepartments.map((department) => department.departmentId));

    // When every record's department string is resolved
    const unresolved = sampleObjects.filter((record) => {
      const id = departmentIdOf(record);
      return id === undefined || !known.has(id);
    });

    // Then all of them resolve
    expect(unresolved.map((record) => `${record.objectID}: ${record.department}`)).toEqual([]);
  });

  it('uses only images.metmuseum.org CRDImages URLs, with primaryImageSmall set exactly when primaryImage is', () => {
    // Given every image URL in the bundle
    const urls = sampleObjects.flatMap((record) =>
      [record.primaryImage, record.primaryImageSmall, ...record.additionalImages].filter((url) => url !== ''),
    );

    // When checked against the Met image host pattern
    const foreign = urls.filter((url) => !imageUrlPattern.test(url));
    const mismatched = sampleObjects.filter(
      (record) => (record.primaryImage === '') !== (record.primaryImageSmall === ''),
    );

    // Then every URL is a Met CRDImages URL and small/large images come in pairs
    expect(urls.length).toBeGreaterThan(40);
    expect(foreign).toEqual([]);
    expect(mismatched).toEqual([]);
  });

  it('includes objects without images and objects whose constituents are null', () => {
    // Given the bundle
    const withoutImages = sampleObjects.filter(
      (record) => record.primaryImage === '' && record.primaryImageSmall === '' && record.additionalImages.length === 0,
    );
    const nullConstituents = sampleObjects.filter((record) => record.constituents === null);

    // When counted
    // Then both edge cases are represented more than once
    expect(withoutImages.length).toBeGreaterThanOrEqual(3);
    expect(withoutImages.every((record) => !record.isPublicDomain)).toBe(true);
    expect(nullConstituents.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    [
      436105,
      'The Death of Socrates',
      'Jacques Louis David',
      'European Paintings',
      'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg',
    ],
    [
      436535,
      'Wheat Field with Cypresses',
      'Vincent van Gogh',
      'European Paintings',
      'https://images.metmuseum.org/CRDImages/ep/original/DP-42549-001.jpg',
    ],
    [
      436532,
      'Self-Portrait with a Straw Hat (obverse: The Potato Peeler)',
      'Vincent van Gogh',
      'European Paintings',
      'https://images.metmuseum.org/CRDImages/ep/original/DT1502_cropped2.jpg',
    ],
    [
      459123,
      'Madame Roulin and Her Baby',
      'Vincent van Gogh',
      'The Robert Lehman Collection',
      'https://images.metmuseum.org/CRDImages/rl/original/DT3154.jpg',
    ],
    [10000, 'Work Table', '', 'The American Wing', 'https://images.metmuseum.org/CRDImages/ad/original/17653.jpg'],
  ])(
    'contains reference record %i exactly as the reference table gives it',
    (objectID, title, artist, department, primaryImage) => {
      // Given the reference record's ID
      // When it is looked up in the bundle
      const record = sampleObjects.find((candidate) => candidate.objectID === objectID);

      // Then its identifying fields are exactly the reference values, small image being the web-large form
      expect(record).toMatchObject({ objectID, title, artistDisplayName: artist, department, primaryImage });
      expect(record?.primaryImageSmall).toBe(primaryImage.replace('/original/', '/web-large/'));
      expect(record?.objectURL).toBe(`https://www.metmuseum.org/art/collection/search/${objectID}`);
    },
  );
});
