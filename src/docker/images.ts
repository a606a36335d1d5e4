// The Docker images of the host, for image retention (`cc-ci store prune`): what is there, what
// containers and services use, and removing one. Which images go is model/image-retention.ts's.
import type Docker from 'dockerode';
import type { ImageFact } from '../model/image-retention.js';
import { errorMessage } from '../model/errors.js';
import { engineFailed } from './docker.js';

export interface ImagesInUse {
  /** Image ids of every container, running or stopped. */
  containerImages: Set<string>;
  /** The image of every service's spec, as written there. */
  serviceImages: string[];
}

/** What removing an image came to. */
export type Removal = 'removed' | 'in-use' | 'gone';

export interface ImageHost {
  images(): Promise<ImageFact[]>;
  inUse(): Promise<ImagesInUse>;
  /**
   * Removes every name of the image (as `docker image prune -a` does: each tag and digest, never
   * forced), and so the image; 'in-use' when the Engine refuses because a container took it meanwhile.
   */
  remove(image: ImageFact): Promise<Removal>;
}

export function dockerImages(api: Docker): ImageHost {
  const call = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw engineFailed(`Docker Engine: ${what} failed: ${errorMessage(err)}`, err);
    }
  };
  return {
    async images() {
      const list = await call('listing images', () => api.listImages({}));
      return list.map((i) => ({
        id: i.Id,
        // Older engines write a missing name as <none>:<none> and <none>@<none>.
        tags: (i.RepoTags ?? []).filter((t) => !t.startsWith('<none>')),
        digests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')),
        created: i.Created * 1000,
        size: i.Size,
      }));
    },
    async inUse() {
      const containers = await call('listing containers', () => api.listContainers({ all: true }));
      let services: Docker.Service[] = [];
      try {
        services = await api.listServices({});
      } catch (err) {
        // A node in no swarm (or not a manager) has no services to keep images for.
        if ((err as { statusCode?: number }).statusCode !== 503) {
          throw engineFailed(`Docker Engine: listing services failed: ${errorMessage(err)}`, err);
        }
      }
      return {
        containerImages: new Set(containers.map((c) => c.ImageID)),
        serviceImages: services.flatMap((s) => {
          const spec = s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined;
          return spec?.ContainerSpec?.Image ? [spec.ContainerSpec.Image] : [];
        }),
      };
    },
    async remove(image) {
      const names = [...image.tags, ...image.digests];
      let removed = false;
      for (const name of names.length > 0 ? names : [image.id]) {
        try {
          await api.getImage(name).remove({ force: false, noprune: false });
          removed = true;
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode;
          // Taken by a container since the listing, or the parent of another image.
          if (status === 409) return 'in-use';
          // Removing the last tag also removes the image's digests: nothing left under this name.
          if (status === 404) continue;
          throw engineFailed(`Docker Engine: removing image ${name} failed: ${errorMessage(err)}`, err);
        }
      }
      return removed ? 'removed' : 'gone';
    },
  };
}
