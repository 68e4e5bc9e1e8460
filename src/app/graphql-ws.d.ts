/**
 * graphql-ws publishes its ws adapter under an `exports` subpath, which TypeScript's `node` resolution
 * (this project's) does not read; Node resolves `graphql-ws/use/ws` at run time. Its own typings:
 */
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}
