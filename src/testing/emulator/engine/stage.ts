// The scripts of every API are lists of stages: one stage is one state a poller can see (a run or a
// background response advances one stage per `pollsPerStatus` retrieves; a stream runs them in turn).

export type Stage = () => void;
