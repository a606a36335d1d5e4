// Wire shapes: gitea-js's response types with every field present (Go emits every field that is
// not `omitempty`) and null allowed (Go's nil pointers and slices). Building responses against
// these makes the compiler reject a misspelt or missing field name.
import type { User } from 'gitea-js';

type WireValue<V> = V extends (infer E)[] ? WireValue<E>[] : V extends object ? Wire<V> : V;

export type Wire<T> = { [K in keyof T]-?: WireValue<T[K]> | null };

/** modules/structs/user.go User.MarshalJSON adds `username` (= login) for compatibility. */
export type ApiUser = Wire<User> & { username: string };

/** A Go `omitempty` field left out of the JSON (JSON.stringify drops undefined). */
export const OMITTED = undefined as never;
