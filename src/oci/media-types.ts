export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const

/** Sent on every manifest request: without the OCI index type distribution answers 404 for OCI indexes. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerList, MediaType.dockerManifest].join(', ')

export const isIndexType = (mediaType: string): boolean => mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList
export const isImageManifestType = (mediaType: string): boolean =>
  mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest
export const isSchema1Type = (mediaType: string): boolean =>
  mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed

/** What archcheck says about a schema 1 manifest, wherever it meets one. */
export const SCHEMA1_MESSAGE = 'schema 1 manifests are deprecated and unsupported; re-push the image with a current client'
