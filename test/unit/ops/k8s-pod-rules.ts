import type { IContainer } from "kubernetes-models/v1/Container" with { "resolution-mode": "import" };
import type { IProbe } from "kubernetes-models/v1/Probe" with { "resolution-mode": "import" };
import type { IIntOrString } from "@kubernetes-models/apimachinery/util/intstr/IntOrString" with {
  "resolution-mode": "import",
};
import { ConfigError, hostsService, loadConfig, type Config } from "../../../config";
import { envSchema } from "../../../config/schema";
import { selects, type Named, type Workload } from "./k8s-objects";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap" with { "resolution-mode": "import" };

/** What a secretKeyRef stands for when the node's configuration is checked: long enough for JWT_SECRET. */
const SECRET_PLACEHOLDER = "a-value-from-the-mosaic-secrets-secret-0123456789";
/** Kubernetes' default when a pod does not say. */
const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
const POD_INDEX_FIELD = "metadata.labels['apps.kubernetes.io/pod-index']";

/** One Mosaic container: its environment as the pod would get it, and the node's config read from it. */
export interface MosaicNode {
  where: string;
  env: Readonly<Record<string, string>>;
  /** Undefined when config/ refuses the environment (which is one of the problems). */
  config: Config | undefined;
  /** WORKER_ID is the pod's ordinal (StatefulSets): each replica mints with its own. */
  workerIdFromOrdinal: boolean;
}

/** Checks every container of a workload; returns the problems and each container's node. */
export function checkPod(
  workload: Workload,
  configMaps: readonly Named<IConfigMap>[],
  imageEnv: Readonly<Record<string, string>>,
): { problems: string[]; nodes: MosaicNode[] } {
  const problems: string[] = [];
  const nodes: MosaicNode[] = [];
  const { pod } = workload;
  if (!selects(workload.selector, workload.labels))
    problems.push(`${workload.where}: spec.selector does not select the pods of its own template`);
  if (pod.containers.length === 0) problems.push(`${workload.where}: no containers`);
  for (const container of pod.containers) {
    const where = `${workload.where} container ${container.name}`;
    const node = nodeOf(where, workload, container, { configMaps, imageEnv }, problems);
    nodes.push(node);
    checkImage(where, container, problems);
    checkResources(where, container, problems);
    checkSecurity(where, workload, container, problems);
    if (node.config) {
      checkProbes(where, container, node.config, problems);
      checkMetrics(where, workload, container, node.config, problems);
      checkStopping(where, workload, container, node.config, problems);
    }
  }
  checkSpread(workload, problems);
  return { problems, nodes };
}

/** The container's environment: the image's ENV, then envFrom, then env, as the kubelet layers them. */
function nodeOf(
  where: string,
  workload: Workload,
  container: IContainer,
  {
    configMaps,
    imageEnv,
  }: { configMaps: readonly Named<IConfigMap>[]; imageEnv: Readonly<Record<string, string>> },
  problems: string[],
): MosaicNode {
  const env: Record<string, string> = {};
  const fromManifests = new Set<string>();
  let workerIdFromOrdinal = false;
  const configMapData = (name: string): Readonly<Record<string, string>> | undefined =>
    configMaps.find((c) => c.name === name)?.object.data;
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) continue;
    const data = configMapData(source.configMapRef.name ?? "");
    if (!data) {
      problems.push(
        `${where}: envFrom names ConfigMap ${source.configMapRef.name}, which no manifest defines`,
      );
      continue;
    }
    // A value that is not a string is the schema check's finding.
    for (const [name, value] of Object.entries(data)) {
      if (typeof value === "string") env[name] = value;
      fromManifests.add(name);
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    fromManifests.add(variable.name);
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (from?.secretKeyRef) env[variable.name] = SECRET_PLACEHOLDER;
    else if (from?.fieldRef?.fieldPath === "metadata.name") env[variable.name] = `${workload.name}-0`;
    else if (from?.fieldRef?.fieldPath === POD_INDEX_FIELD) {
      env[variable.name] = "0";
      workerIdFromOrdinal ||= variable.name === "WORKER_ID";
    } else if (from?.configMapKeyRef) {
      const value = configMapData(from.configMapKeyRef.name ?? "")?.[from.configMapKeyRef.key];
      if (value === undefined) problems.push(`${where}: ${variable.name} refers to a missing ConfigMap key`);
      else env[variable.name] = value;
    } else problems.push(`${where}: ${variable.name} has a value this check cannot resolve`);
  }
  // A misspelt name is silently ignored by config/, which reads only the variables it declares.
  for (const name of fromManifests) {
    if (!(name in envSchema.shape)) problems.push(`${where}: ${name} is not a setting of config/schema.ts`);
  }
  let config: Config | undefined;
  try {
    config = loadConfig({ ...imageEnv, ...env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(`${where}: the node would not start: ${err.problems.join("; ")}`);
  }
  return { where, env: { ...imageEnv, ...env }, config, workerIdFromOrdinal };
}

function checkImage(where: string, container: IContainer, problems: string[]): void {
  const image = container.image ?? "";
  const tag = /^[^@]+:([\w][\w.-]*)$/.exec(image)?.[1];
  if (!image.includes("@sha256:") && (tag === undefined || tag === "latest"))
    problems.push(`${where}: image ${image || "(none)"} is not pinned to a tag or digest`);
}

function checkResources(where: string, container: IContainer, problems: string[]): void {
  const { requests = {}, limits = {} } = container.resources ?? {};
  for (const [what, value] of [
    ["requests.cpu", requests.cpu],
    ["requests.memory", requests.memory],
    ["limits.memory", limits.memory],
  ] as const) {
    if (value === undefined) problems.push(`${where}: no resources.${what}`);
  }
}

function checkSecurity(where: string, workload: Workload, container: IContainer, problems: string[]): void {
  const pod = workload.pod.securityContext ?? {};
  const own = container.securityContext ?? {};
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
  if ((own.runAsUser ?? pod.runAsUser) === 0) problems.push(`${where}: runs as uid 0`);
  if (own.readOnlyRootFilesystem !== true) problems.push(`${where}: the root filesystem is writable`);
  if (own.allowPrivilegeEscalation !== false)
    problems.push(`${where}: allowPrivilegeEscalation is not false`);
  if (!(own.capabilities?.drop ?? []).includes("ALL"))
    problems.push(`${where}: capabilities are not all dropped`);
  const seccomp = (own.seccompProfile ?? pod.seccompProfile)?.type;
  if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
    problems.push(`${where}: no seccomp profile (RuntimeDefault)`);
  // With a read-only root, whatever writes a temporary file (ffmpeg's scratch, libraries) needs /tmp mounted.
  const tmp = (container.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
  const volume = tmp && workload.pod.volumes?.find((v) => v.name === tmp.name);
  if (!volume?.emptyDir) problems.push(`${where}: /tmp is not an emptyDir volume`);
}

const EXPECTED_PROBES = [
  ["livenessProbe", ["/health/live"]],
  ["readinessProbe", ["/health/ready"]],
  ["startupProbe", ["/health/live", "/health/ready"]],
] as const;

function checkProbes(where: string, container: IContainer, config: Config, problems: string[]): void {
  for (const [name, paths] of EXPECTED_PROBES) {
    const probe: IProbe | undefined = container[name];
    const get = probe?.httpGet;
    if (!get) {
      problems.push(`${where}: no ${name} (httpGet)`);
      continue;
    }
    if (!(paths as readonly string[]).includes(get.path ?? ""))
      problems.push(`${where}: ${name} asks ${get.path}, expected ${paths.join(" or ")}`);
    // Probes are answered on PORT; METRICS_PORT serves /metrics alone.
    const port = containerPort(container, get.port);
    if (port !== config.http.port)
      problems.push(
        `${where}: ${name} asks port ${String(get.port)} (${port}), the node answers probes on ${config.http.port}`,
      );
  }
}

function checkMetrics(
  where: string,
  workload: Workload,
  container: IContainer,
  config: Config,
  problems: string[],
): void {
  const port = config.http.metricsPort ?? config.http.port;
  const { annotations } = workload;
  if (annotations["prometheus.io/scrape"] !== "true" || annotations["prometheus.io/port"] !== String(port))
    problems.push(`${where}: the pod is not annotated for Prometheus to scrape port ${port}`);
  if ((annotations["prometheus.io/path"] ?? "/metrics") !== "/metrics")
    problems.push(`${where}: prometheus.io/path is not /metrics`);
  if (!(container.ports ?? []).some((p) => p.containerPort === port))
    problems.push(`${where}: no container port ${port} for the metrics`);
}

/**
 * Kubernetes runs preStop, then sends SIGTERM, and kills the pod when terminationGracePeriodSeconds (counted
 * from the start) runs out: the node needs the preStop sleep, its drain and its grace within it.
 */
function checkStopping(
  where: string,
  workload: Workload,
  container: IContainer,
  config: Config,
  problems: string[],
): void {
  const preStop = container.lifecycle?.preStop;
  const sleep = preStop?.sleep?.seconds ?? sleepOf(preStop?.exec?.command);
  if (sleep === undefined) problems.push(`${where}: no preStop sleep before SIGTERM`);
  const drain = config.shutdownDrainMs / 1000;
  const grace = config.shutdownGraceMs / 1000;
  const total = (sleep ?? 0) + drain + grace;
  const allowed = workload.pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
  if (allowed <= total)
    problems.push(
      `${where}: terminationGracePeriodSeconds ${allowed} is not above preStop + drain + grace (${sleep ?? 0} + ${drain} + ${grace} s)`,
    );
  const longestJob = config.media.transcodeTimeoutMs / 1000;
  if (hostsService(config, "transcoder") && grace < longestJob)
    problems.push(
      `${where}: a shutdown grace of ${grace} s is shorter than the longest transcode (${longestJob} s)`,
    );
}

function checkSpread(workload: Workload, problems: string[]): void {
  const hostname = "kubernetes.io/hostname";
  const spread = (workload.pod.topologySpreadConstraints ?? []).some(
    (c) => c.topologyKey === hostname && selects(c.labelSelector, workload.labels),
  );
  const antiAffinity = workload.pod.affinity?.podAntiAffinity;
  const apart = [
    ...(antiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.podAffinityTerm),
  ].some((term) => term.topologyKey === hostname && selects(term.labelSelector, workload.labels));
  if (!spread && !apart)
    problems.push(`${workload.where}: no topology spread (or anti-affinity) of its pods over nodes`);
}

export function containerPort(container: IContainer, port: IIntOrString | undefined): number | undefined {
  if (typeof port === "number") return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function sleepOf(command: readonly string[] | undefined): number | undefined {
  if (command?.length !== 2 || !/(^|\/)sleep$/.test(command[0]!)) return undefined;
  return /^\d+$/.test(command[1]!) ? Number(command[1]) : undefined;
}
