/**
 * The checks every project image passes alike, registered into the calling test file's describe block so each
 * image's system test reports them beside its own: OCI labels, a numeric non-root USER, a declared HEALTHCHECK, and
 * nothing in the filesystem that only building or developing needs.
 */
import { expect, it } from 'vitest';
import { leftoversIn } from './image-inventory.js';
import { isPrebuilt, labelValues, type ProjectImage } from './images.js';
import {
  containerUsers,
  expectedOciLabels,
  imageMetadata,
  isNumericNonRootUser,
  runHealthcheck,
} from './service-container.js';

export function itIsALeanSafeImage(project: ProjectImage, image: () => string): void {
  it('carries the OCI labels of its build: title, version, revision and source', async () => {
    // Given the label values this checkout gives a build (the workspace's version, HEAD, the repository URL)
    const values = labelValues(project);

    // When podman reads the image's labels
    const { labels } = await imageMetadata(image());

    // Then all four are there, with those values (an image built beforehand: its own revision and source)
    if (isPrebuilt(project)) {
      expect(labels).toMatchObject({
        'org.opencontainers.image.title': project.title,
        'org.opencontainers.image.version': values.VERSION,
      });
      expect(labels['org.opencontainers.image.revision']).toMatch(/\S/);
      expect(labels['org.opencontainers.image.source']).toMatch(/\S/);
    } else {
      expect(labels).toMatchObject(expectedOciLabels(project.title, values));
    }
  });

  it('declares a numeric non-root USER and a HEALTHCHECK', async () => {
    // Given the image

    // When podman reads its configuration
    const { user, healthcheck } = await imageMetadata(image());

    // Then it runs as uid 1000, which orchestrators can verify as non-root, and says how to check its health
    expect(isNumericNonRootUser(user), `USER ${user}`).toBe(true);
    expect(user).toBe('1000:1000');
    expect(healthcheck?.[0]).toBe('CMD');
  });

  it('holds no TypeScript sources, declarations, maps, test suites, compilers or pino-pretty', async () => {
    // Given the image

    // When its whole filesystem is searched from inside it
    const leftovers = await leftoversIn(image());

    // Then /app holds only what runs (node_modules included), and no compiler or pretty printer is installed anywhere
    expect(leftovers.devFiles).toEqual([]);
    expect(leftovers.packages).toEqual([]);
  });
}

/**
 * The checks every running project container passes alike: its HEALTHCHECK, run by hand (no systemd here, so podman
 * never schedules it), passes; and its process, like any other started in it, is the `node` user.
 *
 * @param entry the script the container's process runs, to find it among the container's processes.
 */
export function itRunsHealthyAsTheNodeUser(container: () => string, entry: string): void {
  it('reports healthy when podman runs the image HEALTHCHECK', async () => {
    // Given the running container

    // When the health check is run by hand
    const { check, status } = await runHealthcheck(container());

    // Then it passes and the container is marked healthy
    expect(check.exitCode, check.stderr).toBe(0);
    expect(status).toBe('healthy');
  });

  it('runs its process as the non-root node user', async () => {
    // Given the running container

    // When its process and a new process in it are asked who they are
    const users = await containerUsers(container(), entry);

    // Then both are the `node` user, uid 1000
    expect(users.serviceUser).toBe('node');
    expect(users.execUid).toBe('1000');
  });
}
