/** A platform as OCI describes it (field names of the library API; OCI JSON uses `os.version`). */
export interface Platform {
  os: string
  architecture: string
  variant?: string
  osVersion?: string
  osFeatures?: string[]
}
