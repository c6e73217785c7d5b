// Demand control: what an operation costs, with the semantics of Apollo's router (the IBM GraphQL
// cost directive spec as Apollo Federation ships it: `https://specs.apollo.dev/cost/v0.1`).
//
// - Operation base cost: mutation 10, query 0, subscription 0.
// - A field returning an object, interface or union costs 1; a scalar or enum costs 0. `@cost(weight:)`
//   on the field, or else on its return type, replaces that default.
// - A field's cost is its own weight plus the cost of its selections; a list field multiplies that
//   by the list size: the value of its `@listSize(slicingArguments:)` argument (variables and
//   argument defaults included; the largest when several are given), else `@listSize(assumedSize:)`,
//   else the configured default list size. With `sizedFields`, the slicing size applies to the named
//   child fields (connections: `first` sizes `edges`), not to the field itself.
// - Arguments with `@cost` add their weight when given (input objects: each input field's `@cost`).
// - The actual cost applies the same weights to the response: real list lengths, null objects free.
//
// No library implements Apollo's rules for @apollo/gateway (GraphQL Armor's cost limit and
// graphql-query-complexity use their own weights and do not read @cost/@listSize), hence this file.
import {
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
  GraphQLError,
  isAbstractType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
  type GraphQLInputType,
  getNamedType,
} from 'graphql';

interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
  requireOneSlicingArgument: boolean;
}

/** The cost directives of a supergraph, by type, `Type.field` and `Type.field(arg)`. */
export class CostDirectives {
  readonly typeWeight = new Map<string, number>();
  readonly fieldWeight = new Map<string, number>();
  readonly argumentWeight = new Map<string, number>();
  readonly inputFieldWeight = new Map<string, number>();
  readonly listSize = new Map<string, ListSize>();

  /** Reads `@cost` and `@listSize` applications from a composed supergraph's SDL. */
  static fromSupergraph(sdl: string): CostDirectives {
    const out = new CostDirectives();
    const doc = parse(sdl, { noLocation: true });
    for (const def of doc.definitions) {
      if (!('name' in def) || !def.name || !('kind' in def)) continue;
      const typeName = def.name.value;
      const weight = costWeight(def.directives);
      if (weight !== undefined) out.typeWeight.set(typeName, weight);
      if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.INTERFACE_TYPE_DEFINITION) {
        for (const field of def.fields ?? []) {
          const key = `${typeName}.${field.name.value}`;
          const fw = costWeight(field.directives);
          if (fw !== undefined) out.fieldWeight.set(key, fw);
          const ls = field.directives?.find((d) => directiveName(d) === 'listSize');
          if (ls) out.listSize.set(key, readListSize(ls));
          for (const arg of field.arguments ?? []) {
            const aw = costWeight(arg.directives);
            if (aw !== undefined) out.argumentWeight.set(`${key}(${arg.name.value})`, aw);
          }
        }
      } else if (def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
        for (const field of def.fields ?? []) {
          const fw = costWeight(field.directives);
          if (fw !== undefined) out.inputFieldWeight.set(`${typeName}.${field.name.value}`, fw);
        }
      }
    }
    return out;
  }
}

// Composition may namespace the directives (`@federation__cost`) when a subgraph renames them.
function directiveName(d: DirectiveNode): string {
  return d.name.value.replace(/^federation__/, '');
}

function costWeight(directives: readonly DirectiveNode[] | undefined): number | undefined {
  const d = directives?.find((x) => directiveName(x) === 'cost');
  const arg = d?.arguments?.find((a) => a.name.value === 'weight');
  if (!arg) return undefined;
  const n = Number(valueFromASTUntyped(arg.value));
  return Number.isFinite(n) ? n : undefined;
}

function readListSize(d: DirectiveNode): ListSize {
  const args = Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)])) as Record<string, unknown>;
  return {
    assumedSize: typeof args.assumedSize === 'number' ? args.assumedSize : undefined,
    slicingArguments: Array.isArray(args.slicingArguments) ? (args.slicingArguments as string[]) : undefined,
    sizedFields: Array.isArray(args.sizedFields) ? (args.sizedFields as string[]) : undefined,
    requireOneSlicingArgument: args.requireOneSlicingArgument !== false,
  };
}

export class CostEstimateError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

const OPERATION_BASE: Record<string, number> = { query: 0, mutation: 10, subscription: 0 };

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  /** Measuring a response visits the same field node once per list item: what it costs is worked out once. */
  fields: Map<FieldNode, Map<string, FieldCost | null>>;
  included: Map<SelectionNode, boolean>;
}

interface FieldCost {
  named: GraphQLNamedType;
  weight: number;
  argumentCost: number;
}

/** Estimates and measures operation costs against one supergraph's directives. */
export class CostCalculator {
  private readonly directives: CostDirectives;
  private readonly defaultListSize: number;
  constructor(directives: CostDirectives, defaultListSize: number) {
    this.directives = directives;
    this.defaultListSize = defaultListSize;
  }

  /** The estimated cost of `operation` before anything runs (throws CostEstimateError on a missing slicing argument). */
  estimate(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> = {}): number {
    const walk = this.walkOf(schema, document, variables);
    const root = rootType(schema, operation);
    if (!root) return 0;
    return (OPERATION_BASE[operation.operation] ?? 0) + this.estimateSelections(walk, root, operation.selectionSet, undefined);
  }

  /** The cost of what was actually returned: the same weights, with real list lengths. */
  actual(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, data: unknown): number {
    const walk = this.walkOf(schema, document, variables);
    const root = rootType(schema, operation);
    if (!root || data === null || typeof data !== 'object') return OPERATION_BASE[operation.operation] ?? 0;
    return (OPERATION_BASE[operation.operation] ?? 0) + this.actualSelections(walk, root, operation.selectionSet, data as Record<string, unknown>);
  }

  private walkOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): Walk {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    return { schema, fragments, variables, fields: new Map(), included: new Map() };
  }

  private estimateSelections(walk: Walk, parent: GraphQLNamedType, set: SelectionSetNode, sized: Map<string, number> | undefined, seen = new Set<string>()): number {
    let total = 0;
    for (const sel of set.selections) {
      if (!included(sel.directives, walk.variables)) continue;
      if (sel.kind === Kind.FIELD) total += this.estimateField(walk, parent, sel, sized);
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? walk.schema.getType(sel.typeCondition.name.value) : parent;
        if (on) total += this.estimateSelections(walk, on, sel.selectionSet, sized, seen);
      } else if (!seen.has(sel.name.value)) {
        const fragment = walk.fragments.get(sel.name.value);
        if (!fragment) continue;
        const on = walk.schema.getType(fragment.typeCondition.name.value);
        if (on) total += this.estimateSelections(walk, on, fragment.selectionSet, sized, new Set(seen).add(sel.name.value));
      }
    }
    return total;
  }

  private estimateField(walk: Walk, parent: GraphQLNamedType, node: FieldNode, sized: Map<string, number> | undefined): number {
    const field = fieldOf(parent, node.name.value);
    if (!field) return 0; // __typename and other meta fields
    const key = `${parent.name}.${field.name}`;
    const named = getNamedType(field.type);
    const weight = this.weightOf(key, named);
    const args = argumentValues(field, node.arguments, walk.variables);
    const argumentCost = this.argumentsCost(key, field, args);
    const listSize = this.directives.listSize.get(key);
    let childSized: Map<string, number> | undefined;
    let size = sized?.get(node.name.value);
    if (listSize?.slicingArguments?.length) {
      const given = listSize.slicingArguments.filter((a) => typeof args[a] === 'number');
      if (listSize.requireOneSlicingArgument && given.length !== 1) {
        throw new CostEstimateError(`${key}: exactly one of ${listSize.slicingArguments.join(', ')} is required`);
      }
      const sliced = given.length ? Math.max(...given.map((a) => args[a] as number)) : (listSize.assumedSize ?? this.defaultListSize);
      if (listSize.sizedFields?.length) childSized = new Map(listSize.sizedFields.map((f) => [f, sliced]));
      else size = sliced;
    }
    const children = node.selectionSet ? this.estimateSelections(walk, named, node.selectionSet, childSized) : 0;
    const each = weight + children;
    if (!isList(field.type)) return each + argumentCost;
    size ??= listSize?.assumedSize ?? this.defaultListSize;
    return Math.max(0, size) * each + argumentCost;
  }

  private actualSelections(walk: Walk, parent: GraphQLNamedType, set: SelectionSetNode, value: Record<string, unknown>, seen = new Set<string>()): number {
    let total = 0;
    for (const sel of set.selections) {
      let keep = walk.included.get(sel);
      if (keep === undefined) walk.included.set(sel, (keep = included(sel.directives, walk.variables)));
      if (!keep) continue;
      if (sel.kind === Kind.FIELD) {
        const responseKey = sel.alias?.value ?? sel.name.value;
        if (responseKey in value) total += this.actualField(walk, parent, sel, value[responseKey]);
      } else {
        const fragment = sel.kind === Kind.INLINE_FRAGMENT ? sel : seen.has(sel.name.value) ? undefined : walk.fragments.get(sel.name.value);
        if (!fragment) continue;
        const on = fragment.typeCondition ? walk.schema.getType(fragment.typeCondition.name.value) : parent;
        if (!on) continue;
        // On an abstract parent, a fragment counts only for objects of its type (when __typename says so).
        const typename = value.__typename;
        if (isAbstractType(parent) && typeof typename === 'string' && on.name !== typename && !(isAbstractType(on) && walk.schema.isSubType(on, walk.schema.getType(typename) as GraphQLObjectType))) continue;
        const nextSeen = sel.kind === Kind.FRAGMENT_SPREAD ? new Set(seen).add(sel.name.value) : seen;
        total += this.actualSelections(walk, on, fragment.selectionSet, value, nextSeen);
      }
    }
    return total;
  }

  private fieldCost(walk: Walk, parent: GraphQLNamedType, node: FieldNode): FieldCost | null {
    let byParent = walk.fields.get(node);
    if (!byParent) walk.fields.set(node, (byParent = new Map()));
    let info = byParent.get(parent.name);
    if (info !== undefined) return info;
    const field = fieldOf(parent, node.name.value);
    if (!field) info = null;
    else {
      const key = `${parent.name}.${field.name}`;
      const named = getNamedType(field.type);
      info = { named, weight: this.weightOf(key, named), argumentCost: this.argumentsCost(key, field, argumentValues(field, node.arguments, walk.variables)) };
    }
    byParent.set(parent.name, info);
    return info;
  }

  private actualField(walk: Walk, parent: GraphQLNamedType, node: FieldNode, value: unknown): number {
    const info = this.fieldCost(walk, parent, node);
    if (!info || value === null || value === undefined) return 0;
    // A leaf of weight 0 (most scalars) costs nothing, whatever it holds.
    if (!node.selectionSet && info.weight === 0) return info.argumentCost;
    return this.actualValue(walk, node, info, value) + info.argumentCost;
  }

  private actualValue(walk: Walk, node: FieldNode, info: FieldCost, item: unknown): number {
    if (item === null || item === undefined) return 0;
    if (Array.isArray(item)) {
      let sum = 0;
      for (const x of item) sum += this.actualValue(walk, node, info, x);
      return sum;
    }
    if (node.selectionSet && typeof item === 'object') {
      const typename = (item as Record<string, unknown>).__typename;
      const concrete = typeof typename === 'string' ? (walk.schema.getType(typename) ?? info.named) : info.named;
      return info.weight + this.actualSelections(walk, concrete, node.selectionSet, item as Record<string, unknown>);
    }
    return info.weight;
  }

  private weightOf(fieldKey: string, named: GraphQLNamedType): number {
    return this.directives.fieldWeight.get(fieldKey) ?? this.directives.typeWeight.get(named.name) ?? (isCompositeType(named) ? 1 : 0);
  }

  private argumentsCost(fieldKey: string, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number {
    let total = 0;
    for (const arg of field.args) {
      if (args[arg.name] === undefined || args[arg.name] === null) continue;
      total += this.directives.argumentWeight.get(`${fieldKey}(${arg.name})`) ?? 0;
      total += this.inputCost(arg.type, args[arg.name]);
    }
    return total;
  }

  private inputCost(type: GraphQLInputType, value: unknown): number {
    if (value === null || value === undefined) return 0;
    const inner = isNonNullType(type) ? type.ofType : type;
    if (isListType(inner)) return Array.isArray(value) ? value.reduce((sum: number, v) => sum + this.inputCost(inner.ofType as GraphQLInputType, v), 0) : this.inputCost(inner.ofType as GraphQLInputType, value);
    if (isInputObjectType(inner) && typeof value === 'object') {
      let total = this.directives.typeWeight.get(inner.name) ?? 0;
      for (const [name, f] of Object.entries(inner.getFields())) {
        const v = (value as Record<string, unknown>)[name];
        if (v === undefined || v === null) continue;
        total += (this.directives.inputFieldWeight.get(`${inner.name}.${name}`) ?? 0) + this.inputCost(f.type, v);
      }
      return total;
    }
    return this.directives.typeWeight.get(getNamedType(inner).name) ?? 0;
  }
}

function rootType(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLObjectType | null | undefined {
  return operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
}

function fieldOf(parent: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name.startsWith('__') || !('getFields' in parent) || isInputObjectType(parent)) return undefined;
  return (parent as GraphQLObjectType).getFields()[name];
}

function isList(type: GraphQLType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** Argument values as the resolver would see them: literals, variables, then the schema's defaults. */
function argumentValues(field: GraphQLField<unknown, unknown>, nodes: readonly ArgumentNode[] | undefined, variables: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of field.args) {
    const node = nodes?.find((n) => n.name.value === arg.name);
    if (node) {
      const v = resolveValue(node.value, variables);
      if (v !== undefined) {
        out[arg.name] = v;
        continue;
      }
    }
    if (arg.defaultValue !== undefined) out[arg.name] = arg.defaultValue;
  }
  return out;
}

function resolveValue(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.LIST) return node.values.map((v) => resolveValue(v, variables));
  if (node.kind === Kind.OBJECT) return Object.fromEntries(node.fields.map((f) => [f.name.value, resolveValue(f.value, variables)]));
  return valueFromASTUntyped(node, variables);
}

/** @skip / @include, evaluated with the request's variables. */
function included(directives: readonly DirectiveNode[] | undefined, variables: Record<string, unknown>): boolean {
  for (const d of directives ?? []) {
    const condition = d.arguments?.find((a) => a.name.value === 'if');
    if (!condition) continue;
    const value = Boolean(resolveValue(condition.value, variables));
    if (d.name.value === 'skip' && value) return false;
    if (d.name.value === 'include' && !value) return false;
  }
  return true;
}
