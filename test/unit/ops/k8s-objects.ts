import path from "node:path";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet" with {
  "resolution-mode": "import",
};
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment" with { "resolution-mode": "import" };
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler" with {
  "resolution-mode": "import",
};
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress" with {
  "resolution-mode": "import",
};
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget" with {
  "resolution-mode": "import",
};
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };
import type { IPodSpec } from "kubernetes-models/v1/PodSpec" with { "resolution-mode": "import" };
import type { IService } from "kubernetes-models/v1/Service" with { "resolution-mode": "import" };
import type { ILabelSelector } from "@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector" with {
  "resolution-mode": "import",
};
import type { TypeMeta } from "./k8s-schemas";

/** One document of one file under k8s/, already valid against its schema. */
export interface Manifest {
  file: string;
  index: number;
  object: TypeMeta & Record<string, unknown>;
}

/** A Deployment or a StatefulSet, with what the rules look at. */
export interface Workload {
  where: string;
  kind: "Deployment" | "StatefulSet";
  name: string;
  replicas: number;
  selector: ILabelSelector;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  pod: IPodSpec;
  serviceName: string | undefined;
}

export interface Named<T> {
  where: string;
  name: string;
  object: T;
}

/** The manifests sorted by kind, each with where it was written (`gateway.yaml#2 Service/mosaic-gateway`). */
export interface Objects {
  workloads: Workload[];
  configMaps: Named<IConfigMap>[];
  services: Named<IService>[];
  budgets: Named<IPodDisruptionBudget>[];
  autoscalers: Named<IHorizontalPodAutoscaler>[];
  ingresses: Named<IIngress>[];
  all: Named<TypeMeta>[];
}

export function sortObjects(manifests: readonly Manifest[]): Objects {
  const objects: Objects = {
    workloads: [],
    configMaps: [],
    services: [],
    budgets: [],
    autoscalers: [],
    ingresses: [],
    all: [],
  };
  for (const { file, index, object } of manifests) {
    const name = nameOf(object);
    const where = `${path.basename(file)}#${index} ${object.kind}/${name}`;
    objects.all.push({ where, name, object });
    if (
      isKind<IDeployment>(object, "apps/v1", "Deployment") ||
      isKind<IStatefulSet>(object, "apps/v1", "StatefulSet")
    ) {
      const template = object.spec?.template;
      objects.workloads.push({
        where,
        kind: object.kind,
        name,
        replicas: object.spec?.replicas ?? 1,
        selector: object.spec?.selector ?? {},
        labels: template?.metadata?.labels ?? {},
        annotations: template?.metadata?.annotations ?? {},
        pod: template?.spec ?? { containers: [] },
        serviceName: isKind<IStatefulSet>(object, "apps/v1", "StatefulSet")
          ? object.spec?.serviceName
          : undefined,
      });
    } else if (isKind<IConfigMap>(object, "v1", "ConfigMap"))
      objects.configMaps.push({ where, name, object });
    else if (isKind<IService>(object, "v1", "Service")) objects.services.push({ where, name, object });
    else if (isKind<IPodDisruptionBudget>(object, "policy/v1", "PodDisruptionBudget"))
      objects.budgets.push({ where, name, object });
    else if (isKind<IHorizontalPodAutoscaler>(object, "autoscaling/v2", "HorizontalPodAutoscaler"))
      objects.autoscalers.push({ where, name, object });
    else if (isKind<IIngress>(object, "networking.k8s.io/v1", "Ingress"))
      objects.ingresses.push({ where, name, object });
  }
  return objects;
}

/** Whether a label selector picks pods with these labels, as the API server decides it. */
export function selects(
  selector: ILabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  // A missing selector selects nothing (a PDB's, a spread constraint's); an empty one would select everything.
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    if (operator === "In") return value !== undefined && values.includes(value);
    if (operator === "NotIn") return value === undefined || !values.includes(value);
    if (operator === "Exists") return value !== undefined;
    if (operator === "DoesNotExist") return value === undefined;
    return false;
  });
  return byLabels && byExpressions;
}

/**
 * Narrows an object already validated against the schema of its kind: the schema check, not this guard, is
 * what vouches for its shape.
 */
export function isKind<T extends TypeMeta>(
  object: TypeMeta,
  apiVersion: T["apiVersion"],
  kind: T["kind"],
): object is T {
  return object.apiVersion === apiVersion && object.kind === kind;
}

export function nameOf(object: TypeMeta & Record<string, unknown>): string {
  const metadata = object.metadata;
  const name =
    typeof metadata === "object" && metadata !== null && "name" in metadata ? metadata.name : undefined;
  return typeof name === "string" ? name : "(no name)";
}
