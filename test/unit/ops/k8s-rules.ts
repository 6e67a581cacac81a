import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler" with {
  "resolution-mode": "import",
};
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress" with {
  "resolution-mode": "import",
};
import type { IService } from "kubernetes-models/v1/Service" with { "resolution-mode": "import" };
import { hostsService, SERVICE_NAMES } from "../../../config";
import { MAX_UPLOAD_BYTES } from "../../../lib/media-library/limits";
import { selects, sortObjects, type Manifest, type Named, type Objects, type Workload } from "./k8s-objects";
import { checkPod, containerPort, type MosaicNode } from "./k8s-pod-rules";

/** The gateways' second autoscaling metric, served by the Prometheus adapter (its rule is in k8s/README.md). */
export const GATEWAY_RPS_METRIC = "mosaic_http_requests_per_second";
/** Event streams stay open this long at least before the ingress may cut them. */
export const STREAM_TIMEOUT_SECONDS = 3600;
const MAX_WORKER_ID = 1023;
const NGINX = "nginx.ingress.kubernetes.io/";

export interface ManifestContext {
  /** The runtime image's ENV (Dockerfile): what every container starts with. */
  imageEnv: Readonly<Record<string, string>>;
}

/**
 * What a cluster would get wrong with these manifests that their schemas cannot say: probes on the wrong port, a
 * pod no disruption budget protects, a grace period shorter than the drain, a setting the node would refuse.
 * Returns one line per problem; none when all is well.
 */
export function checkManifests(manifests: readonly Manifest[], context: ManifestContext): string[] {
  const objects = sortObjects(manifests);
  const problems: string[] = [];
  const nodes = new Map<Workload, MosaicNode[]>();
  for (const workload of objects.workloads) {
    const result = checkPod(workload, objects.configMaps, context.imageEnv);
    problems.push(...result.problems);
    nodes.set(workload, result.nodes);
  }
  checkNames(objects, problems);
  checkServicesHosted(nodes, problems);
  checkBudgets(objects, problems);
  checkAutoscalers(objects, nodes, problems);
  checkWorkerIds(objects, nodes, problems);
  checkServices(objects, problems);
  checkIngresses(objects, nodes, problems);
  return problems;
}

function checkNames(objects: Objects, problems: string[]): void {
  const seen = new Map<string, string>();
  for (const { where, name, object } of objects.all) {
    const key = `${object.kind}/${name}`;
    const first = seen.get(key);
    if (first) problems.push(`${where}: ${key} is also defined at ${first}`);
    else seen.set(key, where);
  }
}

/** Every service of config/services.ts runs on some workload: no node role is left out. */
function checkServicesHosted(nodes: ReadonlyMap<Workload, MosaicNode[]>, problems: string[]): void {
  const configs = [...nodes.values()].flat().flatMap((node) => (node.config ? [node.config] : []));
  for (const service of SERVICE_NAMES) {
    if (!configs.some((config) => hostsService(config, service)))
      problems.push(`k8s: no workload hosts the ${service} service`);
  }
}

function checkBudgets(objects: Objects, problems: string[]): void {
  for (const workload of objects.workloads) {
    const budgets = objects.budgets.filter((b) => selects(b.object.spec?.selector, workload.labels));
    if (budgets.length !== 1) {
      // With two, the eviction API refuses to evict the pod at all.
      problems.push(
        `${workload.where}: ${budgets.length} PodDisruptionBudgets select its pods, expected one`,
      );
      continue;
    }
    const budget = budgets[0]!;
    for (const other of objects.workloads) {
      if (other !== workload && selects(budget.object.spec?.selector, other.labels))
        problems.push(`${budget.where}: selects the pods of ${other.where} too`);
    }
    const fewest = Math.min(
      workload.replicas,
      autoscalerOf(objects, workload)?.object.spec?.minReplicas ?? Infinity,
    );
    const { maxUnavailable, minAvailable } = budget.object.spec ?? {};
    const evictable =
      maxUnavailable !== undefined
        ? percentOrCount(maxUnavailable, fewest) >= 1
        : minAvailable !== undefined && percentOrCount(minAvailable, fewest) < fewest;
    if (!evictable)
      problems.push(`${budget.where}: lets no pod of ${fewest} be evicted (a node drain would hang)`);
  }
}

function checkAutoscalers(
  objects: Objects,
  nodes: ReadonlyMap<Workload, MosaicNode[]>,
  problems: string[],
): void {
  for (const autoscaler of objects.autoscalers) {
    const target = autoscaler.object.spec?.scaleTargetRef;
    if (!objects.workloads.some((w) => w.kind === target?.kind && w.name === target.name))
      problems.push(`${autoscaler.where}: scales ${target?.kind}/${target?.name}, which no manifest defines`);
    const behavior = autoscaler.object.spec?.behavior;
    if (!behavior?.scaleUp || !behavior.scaleDown)
      problems.push(`${autoscaler.where}: no behavior for scaleUp and scaleDown`);
  }
  for (const workload of objects.workloads) {
    const autoscaler = autoscalerOf(objects, workload);
    if (!autoscaler) {
      problems.push(`${workload.where}: no HorizontalPodAutoscaler`);
      continue;
    }
    const gateway = (nodes.get(workload) ?? []).some((n) => n.config && hostsService(n.config, "gateway"));
    const names = (autoscaler.object.spec?.metrics ?? []).map(
      (m) => m.pods?.metric.name ?? m.external?.metric.name ?? m.object?.metric.name ?? m.resource?.name,
    );
    if (gateway && !(names.includes("cpu") && names.includes(GATEWAY_RPS_METRIC)))
      problems.push(
        `${autoscaler.where}: a gateway scales on cpu and ${GATEWAY_RPS_METRIC}, not on ${names.join(", ")}`,
      );
  }
}

/** Two pods that mint Snowflake ids with one worker id can mint the same id. */
function checkWorkerIds(
  objects: Objects,
  nodes: ReadonlyMap<Workload, MosaicNode[]>,
  problems: string[],
): void {
  const ranges: { where: string; first: number; last: number }[] = [];
  for (const workload of objects.workloads) {
    const most = Math.max(workload.replicas, autoscalerOf(objects, workload)?.object.spec?.maxReplicas ?? 0);
    for (const node of nodes.get(workload) ?? []) {
      if (node.env.WORKER_ID === undefined) continue;
      if (!node.workerIdFromOrdinal) {
        if (most > 1)
          problems.push(`${node.where}: ${most} pods would share WORKER_ID ${node.env.WORKER_ID}`);
        continue;
      }
      if (workload.kind !== "StatefulSet")
        problems.push(`${node.where}: only a StatefulSet's pods have an ordinal to use as WORKER_ID`);
      const first = Number(node.env.WORKER_ID_OFFSET ?? 0);
      const range = { where: node.where, first, last: first + most - 1 };
      if (range.last > MAX_WORKER_ID)
        problems.push(
          `${node.where}: worker ids up to ${range.last} (${most} pods from ${first}), past ${MAX_WORKER_ID}`,
        );
      const overlap = ranges.find((r) => r.first <= range.last && range.first <= r.last);
      if (overlap)
        problems.push(`${node.where}: worker ids ${first}–${range.last} overlap those of ${overlap.where}`);
      ranges.push(range);
    }
  }
}

function checkServices(objects: Objects, problems: string[]): void {
  for (const service of objects.services) {
    const pods = podsOf(objects, service.object);
    if (pods.length === 0) problems.push(`${service.where}: selects no workload's pods`);
    for (const port of service.object.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const workload of pods) {
        if (!workload.pod.containers.some((c) => containerPort(c, target) !== undefined))
          problems.push(`${service.where}: targetPort ${target} is no port of ${workload.where}`);
      }
    }
  }
  for (const workload of objects.workloads) {
    if (workload.serviceName === undefined) continue;
    const service = objects.services.find((s) => s.name === workload.serviceName);
    if (service?.object.spec?.clusterIP !== "None" || !podsOf(objects, service.object).includes(workload))
      problems.push(
        `${workload.where}: serviceName ${workload.serviceName} is not a headless Service of its pods`,
      );
  }
}

function checkIngresses(
  objects: Objects,
  nodes: ReadonlyMap<Workload, MosaicNode[]>,
  problems: string[],
): void {
  for (const ingress of objects.ingresses) {
    for (const { backend } of ingress.object.spec?.rules?.flatMap((r) => r.http?.paths ?? []) ?? []) {
      const service = objects.services.find((s) => s.name === backend.service?.name);
      const { name, number } = backend.service?.port ?? {};
      if (!service?.object.spec?.ports?.some((p) => p.name === name || p.port === number))
        problems.push(
          `${ingress.where}: routes to ${backend.service?.name}:${name ?? number}, no port of a Service`,
        );
    }
  }
  const stream = routeOf(objects.ingresses, "/api/stream");
  if (!stream) problems.push("k8s: no Ingress routes /api/stream");
  else {
    const annotations = stream.ingress.object.metadata?.annotations ?? {};
    for (const timeout of ["proxy-read-timeout", "proxy-send-timeout"]) {
      if (!(Number(annotations[NGINX + timeout] ?? 60) >= STREAM_TIMEOUT_SECONDS))
        problems.push(
          `${stream.ingress.where}: ${timeout} of /api/stream is under ${STREAM_TIMEOUT_SECONDS} s`,
        );
    }
    if (annotations[NGINX + "proxy-buffering"] !== "off")
      problems.push(`${stream.ingress.where}: /api/stream is buffered (proxy-buffering is not off)`);
    const service = objects.services.find((s) => s.name === stream.service);
    const gateway = service
      ? podsOf(objects, service.object).some((w) =>
          nodes.get(w)?.some((n) => n.config && hostsService(n.config, "gateway")),
        )
      : false;
    if (!gateway) problems.push(`${stream.ingress.where}: /api/stream does not reach a gateway`);
  }
  const uploads = routeOf(objects.ingresses, "/api/media");
  const bodySize =
    uploads && sizeOf(uploads.ingress.object.metadata?.annotations?.[NGINX + "proxy-body-size"] ?? "1m");
  if (!uploads) problems.push("k8s: no Ingress routes /api/media");
  else if (bodySize !== 0 && (bodySize ?? 0) <= MAX_UPLOAD_BYTES)
    problems.push(
      `${uploads.ingress.where}: proxy-body-size refuses a ${MAX_UPLOAD_BYTES / 2 ** 20} MB upload`,
    );
}

/** The Ingress path ingress-nginx picks for a request path: an exact match, else the longest prefix. */
function routeOf(
  ingresses: readonly Named<IIngress>[],
  requestPath: string,
): { ingress: Named<IIngress>; service: string | undefined } | undefined {
  let best: { ingress: Named<IIngress>; service: string | undefined; rank: number } | undefined;
  for (const ingress of ingresses) {
    for (const { path = "/", pathType, backend } of ingress.object.spec?.rules?.flatMap(
      (r) => r.http?.paths ?? [],
    ) ?? []) {
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const rank =
        pathType === "Exact"
          ? path === requestPath
            ? Infinity
            : -1
          : path === requestPath || requestPath.startsWith(prefix)
            ? path.length
            : -1;
      if (rank >= 0 && (!best || rank > best.rank)) best = { ingress, service: backend.service?.name, rank };
    }
  }
  return best;
}

function autoscalerOf(objects: Objects, workload: Workload): Named<IHorizontalPodAutoscaler> | undefined {
  return objects.autoscalers.find(
    (a) =>
      a.object.spec?.scaleTargetRef.kind === workload.kind &&
      a.object.spec.scaleTargetRef.name === workload.name,
  );
}

function podsOf(objects: Objects, service: IService): Workload[] {
  const selector = service.spec?.selector;
  return selector ? objects.workloads.filter((w) => selects({ matchLabels: selector }, w.labels)) : [];
}

/** A budget's count, or its percentage of the pods rounded up, as the disruption controller computes it. */
function percentOrCount(value: number | string, of: number): number {
  return typeof value === "number" ? value : Math.ceil((Number.parseFloat(value) / 100) * of);
}

/** nginx's size syntax: `210m`, `1g`, `512k`, bytes; `0` is no limit. */
function sizeOf(value: string): number | undefined {
  const match = /^(\d+)([kmg]?)$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[match[2]!.toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}
