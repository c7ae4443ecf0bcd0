/** Identifiers are opaque strings (UUIDs) on the wire. */
export type ID = string

export interface UserRef {
  id: ID
  real_name: string
}

export interface NamedRef {
  id: ID
  name: string
}
