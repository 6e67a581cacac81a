export { DEFAULT_FAN_OUT_PAGE, Graph, MAX_PAGE_LIMIT } from "./graph";
export type { FollowState, GraphDeps, GraphRelationship, IdPage, IdSource, PageRequest } from "./graph";
export * from "./tables";
export { CloseFriends, MAX_CLOSE_FRIENDS } from "./close-friends";
export { inForce, MAX_MUTES, Mutes, type Mute } from "./mutes";
