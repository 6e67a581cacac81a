import path from "node:path";
import ts from "typescript";
import { isRecord } from "./yaml-files";

/** What identifies a Kubernetes object; the rest is checked against its kind's schema. */
export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

export function isTypeMeta(value: unknown): value is TypeMeta & Record<string, unknown> {
  return isRecord(value) && typeof value.apiVersion === "string" && typeof value.kind === "string";
}

interface KindSchema {
  /** kubernetes-models' validator: types, required fields, enums and formats. Throws naming every failure. */
  validate(object: unknown): void;
  /** The kind's TypeScript declaration (`I<Kind>`), generated from the same OpenAPI schema. */
  declared: ts.Type;
}

type ModelClass = new (data: unknown) => { validate(): void };

const REPO = path.resolve(__dirname, "../../..");
const COMPILER_OPTIONS: ts.CompilerOptions = {
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es5.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
};

/**
 * The Kubernetes API schemas of kubernetes-models, with unknown fields rejected. Its validators are generated
 * from the OpenAPI schema, which lets any object carry fields it does not declare (the API server's non-strict
 * decoding drops them silently: a misspelt `readinesProbe` is simply no probe). So each object is also walked
 * against the models' TypeScript declarations, generated from the same schema, where every field is listed.
 */
export class K8sSchemas {
  private constructor(
    private readonly checker: ts.TypeChecker,
    private readonly kinds: ReadonlyMap<string, KindSchema>,
  ) {}

  static async load(objects: readonly TypeMeta[]): Promise<K8sSchemas> {
    const wanted = new Map(objects.map((o) => [keyOf(o), o]));
    const declarations = new Map<string, string>();
    for (const [key, { apiVersion, kind }] of wanted) {
      const resolved = ts.resolveModuleName(
        modelModule(apiVersion, kind),
        path.join(REPO, "index.ts"),
        COMPILER_OPTIONS,
        ts.sys,
      ).resolvedModule;
      if (resolved) declarations.set(key, resolved.resolvedFileName);
    }
    const program = ts.createProgram([...declarations.values()], COMPILER_OPTIONS);
    const checker = program.getTypeChecker();
    const kinds = new Map<string, KindSchema>();
    for (const [key, file] of declarations) {
      const { apiVersion, kind } = wanted.get(key)!;
      const source = program.getSourceFile(file);
      const moduleSymbol = source && checker.getSymbolAtLocation(source);
      const exported =
        moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === `I${kind}`);
      const mod: unknown = await import(modelModule(apiVersion, kind));
      const model = isRecord(mod) ? mod[kind] : undefined;
      if (!exported || !isModelClass(model)) continue;
      kinds.set(key, {
        validate: (object) => new model(object).validate(),
        declared: checker.getDeclaredTypeOfSymbol(exported),
      });
    }
    return new K8sSchemas(checker, kinds);
  }

  /** What is wrong with the object, as `/json/pointer: problem`; empty when it is valid. */
  problems(object: unknown): string[] {
    if (!isTypeMeta(object)) return ["/: not a Kubernetes object (apiVersion and kind)"];
    const schema = this.kinds.get(keyOf(object));
    if (!schema) return [`/: no schema for ${object.apiVersion} ${object.kind} in kubernetes-models`];
    const problems: string[] = [];
    try {
      schema.validate(object);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
    this.unknownFields(object, schema.declared, "", problems);
    return problems;
  }

  private unknownFields(value: unknown, declared: ts.Type, at: string, problems: string[]): void {
    const type = this.checker.getNonNullableType(declared);
    if (Array.isArray(value)) {
      const element = this.elementType(type);
      if (element) value.forEach((item, i) => this.unknownFields(item, element, `${at}/${i}`, problems));
      return;
    }
    // A primitive where an object belongs (or the reverse) is the validator's finding, not this walk's.
    const objects = membersOf(type).filter((t) => (t.flags & ts.TypeFlags.Object) !== 0);
    if (!isRecord(value) || objects.length === 0) return;
    for (const [key, field] of Object.entries(value)) {
      const fieldType = this.fieldType(objects, key);
      if (fieldType) this.unknownFields(field, fieldType, `${at}/${key}`, problems);
      else problems.push(`${at}/${key}: no such field in ${this.checker.typeToString(objects[0]!)}`);
    }
  }

  private fieldType(objects: readonly ts.Type[], key: string): ts.Type | undefined {
    for (const type of objects) {
      const property = this.checker.getPropertyOfType(type, key);
      if (property) return this.checker.getTypeOfSymbol(property);
      // Maps such as labels, annotations and resource quantities.
      const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (index) return index.type;
    }
    return undefined;
  }

  private elementType(type: ts.Type): ts.Type | undefined {
    const array = membersOf(type).find((t) => this.checker.isArrayType(t));
    return array && this.checker.getTypeArguments(array as ts.TypeReference)[0];
  }
}

function keyOf({ apiVersion, kind }: TypeMeta): string {
  return `${apiVersion} ${kind}`;
}

/** kubernetes-models lays its models out by API version: `apps/v1/Deployment`, `v1/Service`. */
function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function membersOf(type: ts.Type): readonly ts.Type[] {
  return type.isUnion() ? type.types : [type];
}

function isModelClass(value: unknown): value is ModelClass {
  return (
    typeof value === "function" && typeof (value.prototype as { validate?: unknown }).validate === "function"
  );
}
