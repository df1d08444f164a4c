/**
 * graphql's `printSchema` drops applied directives, but federation needs them (`@key`, `@shareable`):
 * type-graphql keeps each `@Directive` on the types' and fields' `astNode`, so they are put back here.
 * (type-graphql's own federation example uses `printSchemaWithDirectives` from @graphql-tools/utils;
 * this is the part of it we need, without another dependency.)
 */
import type {
  ConstDirectiveNode,
  DefinitionNode,
  FieldDefinitionNode,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputField,
  GraphQLNamedType,
  GraphQLSchema,
  InputValueDefinitionNode,
} from "graphql";
import { graphql } from "./graphql-runtime.js";

const { Kind, parse, print, printSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType } = graphql;

// printSchema already prints these from the schema itself.
const PRINTED_BY_GRAPHQL = new Set(["deprecated", "specifiedBy", "oneOf"]);

export function printSchemaWithDirectives(schema: GraphQLSchema): string {
  const document = parse(printSchema(schema));
  const definitions = document.definitions.map((definition) => withDirectives(schema, definition));
  return print({ ...document, definitions });
}

function applied(existing: readonly ConstDirectiveNode[] | undefined, node: { directives?: readonly ConstDirectiveNode[] } | null | undefined) {
  const extra = (node?.directives ?? []).filter((directive) => !PRINTED_BY_GRAPHQL.has(directive.name.value));
  return extra.length === 0 ? existing : [...(existing ?? []), ...extra];
}

function withDirectives(schema: GraphQLSchema, definition: DefinitionNode): DefinitionNode {
  if (!("name" in definition) || definition.name === undefined) return definition;
  const type: GraphQLNamedType | undefined = schema.getType(definition.name.value) ?? undefined;
  if (type === undefined) return definition;
  switch (definition.kind) {
    case Kind.OBJECT_TYPE_DEFINITION:
    case Kind.INTERFACE_TYPE_DEFINITION: {
      if (!isObjectType(type) && !isInterfaceType(type)) return definition;
      const fields = type.getFields();
      return {
        ...definition,
        directives: applied(definition.directives, type.astNode),
        fields: definition.fields?.map((field) => withFieldDirectives(field, fields[field.name.value])),
      };
    }
    case Kind.INPUT_OBJECT_TYPE_DEFINITION: {
      if (!isInputObjectType(type)) return definition;
      const fields = type.getFields();
      return {
        ...definition,
        directives: applied(definition.directives, type.astNode),
        fields: definition.fields?.map((field) => withInputDirectives(field, fields[field.name.value])),
      };
    }
    case Kind.ENUM_TYPE_DEFINITION: {
      if (!isEnumType(type)) return definition;
      return {
        ...definition,
        directives: applied(definition.directives, type.astNode),
        values: definition.values?.map((value) => ({
          ...value,
          directives: applied(value.directives, type.getValue(value.name.value)?.astNode),
        })),
      };
    }
    case Kind.SCALAR_TYPE_DEFINITION:
    case Kind.UNION_TYPE_DEFINITION:
      return { ...definition, directives: applied(definition.directives, type.astNode) };
    default:
      return definition;
  }
}

function withFieldDirectives(
  node: FieldDefinitionNode,
  field: GraphQLField<unknown, unknown> | undefined,
): FieldDefinitionNode {
  if (field === undefined) return node;
  return {
    ...node,
    directives: applied(node.directives, field.astNode),
    arguments: node.arguments?.map((argument) =>
      withInputDirectives(argument, field.args.find((candidate) => candidate.name === argument.name.value)),
    ),
  };
}

function withInputDirectives(
  node: InputValueDefinitionNode,
  input: GraphQLArgument | GraphQLInputField | undefined,
): InputValueDefinitionNode {
  return input === undefined ? node : { ...node, directives: applied(node.directives, input.astNode) };
}
