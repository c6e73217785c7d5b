// Operation limits on the public endpoint: what one operation may ask for, refused at validation
// time, before anything is planned or any subgraph is called. GraphQL Armor (Escape) covers depth,
// aliases, directives, tokens and field suggestions; the rules it does not have — root fields, a
// field repeated in one selection, and sign-in mutations more than once per request — are small
// validation rules of our own.
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { type ASTVisitor, type FieldNode, GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxRootFields: number;
  maxFieldRepeats: number;
  blockSuggestions: boolean;
}

/** Mutations that hash passwords or mint tokens: one per request, whatever the aliases. */
export const SIGN_IN_FIELDS = new Set(['register', 'login', 'refreshToken']);

const limitError = (message: string, limit: string) => new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit } });

/** At most `max` fields at the root of each operation (fragments spread at the root count too). */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const n = countFields(context, node.selectionSet, new Set());
      if (n > max) context.reportError(limitError(`Operations may select at most ${max} root fields (this one selects ${n})`, 'rootFields'));
    },
  });
}

/** The same field, under the same name, at most `max` times in one selection set (graphql-cop's "field duplication"). */
export function maxFieldRepeatsRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    SelectionSet(node) {
      const seen = new Map<string, number>();
      for (const s of node.selections) {
        if (s.kind !== Kind.FIELD) continue;
        const key = s.alias?.value ?? s.name.value;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        if (n === max + 1) context.reportError(limitError(`Field "${key}" is repeated more than ${max} times in one selection`, 'fieldRepeats'));
      }
    },
  });
}

/** register, login and refreshToken: at most one of them per request (aliases do not multiply them). */
export function singleSignInRule(): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      if (node.operation !== 'mutation') return;
      const fields: FieldNode[] = [];
      collectRootFields(context, node.selectionSet, new Set(), fields);
      const n = fields.filter((f) => SIGN_IN_FIELDS.has(f.name.value)).length;
      if (n > 1) context.reportError(limitError('register, login and refreshToken may be called once per request', 'signIn'));
    },
  });
}

function collectRootFields(context: ValidationContext, set: SelectionSetNode, visited: Set<string>, out: FieldNode[]): void {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) collectRootFields(context, s.selectionSet, visited, out);
    else if (!visited.has(s.name.value)) {
      visited.add(s.name.value);
      const fragment = context.getFragment(s.name.value);
      if (fragment) collectRootFields(context, fragment.selectionSet, visited, out);
    }
  }
}

function countFields(context: ValidationContext, set: SelectionSetNode, visited: Set<string>): number {
  const fields: FieldNode[] = [];
  collectRootFields(context, set, visited, fields);
  return fields.filter((f) => f.name.value !== '__typename').length;
}

/** Validation errors reported for one operation before validation stops. */
export const MAX_VALIDATION_ERRORS = 5;

/** Plugins and validation rules for Apollo Server. */
export function operationLimits(limits: OperationLimits) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    // __typename aliases count too (Armor allows them by default; graphql-cop sends 101 of them).
    maxAliases: { n: limits.maxAliases, allowList: [] },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { n: limits.maxTokens },
    // Query cost is estimated with the schema's @cost/@listSize directives elsewhere.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: limits.blockSuggestions },
  }).protect();
  return {
    // Validation stops after a few errors: ten unknown directives on one field (graphql-cop's
    // "directive overloading") cost ten errors' work and bytes otherwise.
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    plugins: armor.plugins,
    validationRules: [...armor.validationRules, maxRootFieldsRule(limits.maxRootFields), maxFieldRepeatsRule(limits.maxFieldRepeats), singleSignInRule()],
  };
}
