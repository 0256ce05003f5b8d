import { z } from 'zod';
import {
  departmentSchema,
  describeZodError,
  type MetDepartment,
  type MetObjectRecord,
  metObjectRecordSchema,
} from '../schemas.js';
import departmentsJson from './departments.json' with { type: 'json' };
import objectsJson from './objects.json' with { type: 'json' };

function parseBundled<T>(schema: z.ZodType<T>, data: unknown, file: string): T {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new Error(`bundled ${file} does not match the Met record shape: ${describeZodError(result.error)}`);
  }
  return result.data;
}

/** The bundled sample of real Met open-access object records, sorted by objectID. */
export const sampleObjects: readonly MetObjectRecord[] = Object.freeze(
  parseBundled(z.array(metObjectRecordSchema), objectsJson, 'collection/objects.json'),
);

/** The Met's 19 departments as `GET /departments` lists them. */
export const sampleDepartments: readonly MetDepartment[] = Object.freeze(
  parseBundled(z.array(departmentSchema), departmentsJson, 'collection/departments.json'),
);

/**
 * Object records spell some departments differently from `GET /departments` (recorded responses show
 * "The American Wing" for department 1, "Robert Lehman Collection" for 15, "The Michael C. Rockefeller
 * Wing" for 5 and "Modern and Contemporary Art" for 21), so filtering by `departmentId` needs both spellings.
 */
const departmentAliases: Readonly<Record<string, number>> = {
  'The American Wing': 1,
  'The Michael C. Rockefeller Wing': 5,
  'Robert Lehman Collection': 15,
  'Modern and Contemporary Art': 21,
};

const departmentIdsByName = new Map<string, number>([
  ...sampleDepartments.map((department) => [department.displayName, department.departmentId] as const),
  ...Object.entries(departmentAliases),
]);

/** The department ID an object record's `department` string belongs to, or undefined if unknown. */
export function departmentIdOf(record: Pick<MetObjectRecord, 'department'>): number | undefined {
  return departmentIdsByName.get(record.department);
}
