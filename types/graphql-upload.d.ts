// graphql-upload 17 documents its types in JSDoc only; these are the parts used here.
declare module 'graphql-upload/Upload.mjs' {
  export default class Upload {
    promise: Promise<unknown>;
    file?: unknown;
  }
}
declare module 'graphql-upload/GraphQLUpload.mjs' {
  import type { GraphQLScalarType } from 'graphql';
  const GraphQLUpload: GraphQLScalarType;
  export default GraphQLUpload;
}
declare module 'graphql-upload/graphqlUploadExpress.mjs' {
  import type { RequestHandler } from 'express';
  export default function graphqlUploadExpress(options?: { maxFieldSize?: number; maxFileSize?: number; maxFiles?: number }): RequestHandler;
}
