import { ConfigError, hostsService, loadConfig, SERVICE_NAMES, type Config } from "../../../config";
import { envSchema } from "../../../config/schema";
import { isRecord } from "./yaml-files";

/** docker's default between SIGTERM and SIGKILL when a service does not set stop_grace_period. */
const DEFAULT_STOP_GRACE_SECONDS = 10;
/** The URL-valued settings whose host must be another service of the file. */
const ADDRESSED = [
  "TRANSPORTER",
  "REDIS_URL",
  "S3_ENDPOINT",
  "SEARCH_URL",
  "CASSANDRA_CONTACT_POINTS",
] as const;
/** Images whose data outlives a container only on a volume. */
const DATA_IMAGES = /^(cassandra|opensearchproject\/opensearch|minio\/minio|nats)[:@]/;

interface Service {
  name: string;
  spec: Record<string, unknown>;
}

interface MosaicService extends Service {
  env: Record<string, string>;
  config: Config | undefined;
}

export interface ComposeContext {
  /** The runtime image's ENV (Dockerfile): what every Mosaic container starts with. */
  imageEnv: Readonly<Record<string, string>>;
}

/**
 * What `docker compose up` would get wrong with this file: an image that moves under it, a node that starts
 * before what it needs answers, a node without the shared Redis, a stop that kills a node mid-drain. A Mosaic
 * service is one that sets SERVICES. Returns one line per problem; none when all is well.
 */
export function checkCompose(compose: unknown, context: ComposeContext): string[] {
  const problems: string[] = [];
  const specs = isRecord(compose) && isRecord(compose.services) ? compose.services : {};
  const services = Object.entries(specs).flatMap(([name, spec]) => (isRecord(spec) ? [{ name, spec }] : []));
  if (services.length === 0) return ["docker-compose.yml: no services"];
  const mosaic = services.flatMap((s) => mosaicService(s, context, problems));
  for (const service of services) {
    checkImage(service, problems);
    checkHealthcheck(service, problems);
    checkDependencies(service, services, problems);
  }
  for (const service of mosaic) checkMosaicService(service, services, mosaic, problems);
  checkVolumes(compose, services, problems);
  for (const name of SERVICE_NAMES) {
    if (!mosaic.some((s) => s.config && hostsService(s.config, name)))
      problems.push(`docker-compose.yml: no service hosts the ${name} service`);
  }
  for (const setting of ["WORKER_ID", "NODE_ID"]) {
    const seen = new Map<string, string>();
    for (const { name, env } of mosaic) {
      const value = env[setting];
      if (value === undefined) continue;
      const first = seen.get(value);
      if (first) problems.push(`${name}: ${setting} ${value} is also ${first}'s`);
      else seen.set(value, name);
    }
  }
  return problems;
}

function mosaicService(
  { name, spec }: Service,
  context: ComposeContext,
  problems: string[],
): MosaicService[] {
  const own = environmentOf(spec.environment);
  if (own.SERVICES === undefined) return [];
  for (const setting of Object.keys(own)) {
    if (!(setting in envSchema.shape))
      problems.push(`${name}: ${setting} is not a setting of config/schema.ts`);
  }
  const env = { ...context.imageEnv, ...own };
  let config: Config | undefined;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(`${name}: the node would not start: ${err.problems.join("; ")}`);
  }
  return [{ name, spec, env, config }];
}

function checkImage({ name, spec }: Service, problems: string[]): void {
  const image = typeof spec.image === "string" ? spec.image : "";
  const tag = /^[^@]+:([\w][\w.-]*)$/.exec(image)?.[1];
  // A built service without `image` is tagged latest by compose.
  if (!image.includes("@sha256:") && (tag === undefined || tag === "latest"))
    problems.push(`${name}: image ${image || "(none)"} is not pinned to a tag or digest`);
}

function checkHealthcheck({ name, spec }: Service, problems: string[]): void {
  const check = spec.healthcheck;
  const test = isRecord(check) ? check.test : undefined;
  const valid =
    (typeof test === "string" && test !== "") ||
    (Array.isArray(test) &&
      test.length > 1 &&
      test.every((part) => typeof part === "string") &&
      test[0] !== "NONE");
  if (!valid || (isRecord(check) && check.disable === true)) problems.push(`${name}: no healthcheck`);
}

function checkDependencies({ name, spec }: Service, services: readonly Service[], problems: string[]): void {
  const dependencies = spec.depends_on;
  if (dependencies === undefined) return;
  if (!isRecord(dependencies)) {
    problems.push(`${name}: depends_on is a list, which only waits for containers to start`);
    return;
  }
  for (const [dependency, how] of Object.entries(dependencies)) {
    const target = services.find((s) => s.name === dependency);
    if (!target) problems.push(`${name}: depends on ${dependency}, which is no service`);
    if (!isRecord(how) || how.condition !== "service_healthy")
      problems.push(`${name}: does not wait for ${dependency} to be healthy`);
  }
}

function checkMosaicService(
  service: MosaicService,
  services: readonly Service[],
  mosaic: readonly MosaicService[],
  problems: string[],
): void {
  const { name, spec, env, config } = service;
  if (env.REDIS_URL === undefined) problems.push(`${name}: no REDIS_URL (limits and cache per node)`);
  const dependencies = isRecord(spec.depends_on) ? Object.keys(spec.depends_on) : [];
  for (const setting of ADDRESSED) {
    for (const host of hostsOf(env[setting])) {
      if (!services.some((s) => s.name === host))
        problems.push(`${name}: ${setting} names ${host}, which is no service`);
    }
  }
  for (const host of hostsOf(env.TRANSPORTER)) {
    if (!dependencies.includes(host)) problems.push(`${name}: does not wait for ${host} (TRANSPORTER)`);
  }
  if (!config) return;
  const test = isRecord(spec.healthcheck) ? spec.healthcheck.test : undefined;
  const command = Array.isArray(test) ? test.join(" ") : String(test);
  if (!command.includes(`fetch('http://127.0.0.1:${config.http.port}/health/ready')`))
    problems.push(`${name}: the healthcheck does not ask /health/ready on port ${config.http.port}`);
  if (hostsService(config, "search") && env.SEARCH_URL === undefined)
    problems.push(`${name}: hosts search without SEARCH_URL (an index inside the container)`);
  if (hostsService(config, "gateway")) {
    for (const other of mosaic) {
      if (other.config && !hostsService(other.config, "gateway") && !dependencies.includes(other.name))
        problems.push(`${name}: a gateway that does not wait for ${other.name}`);
    }
  }
  const stop = durationOf(spec.stop_grace_period) ?? DEFAULT_STOP_GRACE_SECONDS;
  const needed = (config.shutdownDrainMs + config.shutdownGraceMs) / 1000;
  if (stop <= needed)
    problems.push(`${name}: stop_grace_period ${stop} s is not above drain + grace (${needed} s)`);
  if (hostsService(config, "transcoder") && config.shutdownGraceMs < config.media.transcodeTimeoutMs)
    problems.push(
      `${name}: a shutdown grace of ${config.shutdownGraceMs / 1000} s is shorter than the longest transcode`,
    );
}

function checkVolumes(compose: unknown, services: readonly Service[], problems: string[]): void {
  const declared = isRecord(compose) && isRecord(compose.volumes) ? Object.keys(compose.volumes) : [];
  const used = new Set<string>();
  for (const { name, spec } of services) {
    const mounts = Array.isArray(spec.volumes) ? spec.volumes : [];
    const named = mounts.flatMap((mount) => {
      const source =
        typeof mount === "string" ? mount.split(":")[0] : isRecord(mount) ? mount.source : undefined;
      return typeof source === "string" && /^[\w][\w.-]*$/.test(source) ? [source] : [];
    });
    for (const volume of named) {
      used.add(volume);
      if (!declared.includes(volume))
        problems.push(`${name}: volume ${volume} is not declared under volumes`);
    }
    if (typeof spec.image === "string" && DATA_IMAGES.test(spec.image) && named.length === 0)
      problems.push(`${name}: keeps its data in the container (no named volume)`);
  }
  for (const volume of declared) {
    if (!used.has(volume))
      problems.push(`docker-compose.yml: volume ${volume} is declared and never mounted`);
  }
}

/** compose's `environment`, as a map or as a list of `NAME=value`. */
function environmentOf(environment: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (isRecord(environment)) {
    for (const [name, value] of Object.entries(environment)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        env[name] = String(value);
    }
  } else if (Array.isArray(environment)) {
    for (const item of environment) {
      const at = typeof item === "string" ? item.indexOf("=") : -1;
      if (typeof item === "string" && at > 0) env[item.slice(0, at)] = item.slice(at + 1);
    }
  }
  return env;
}

/** The hosts of `nats://nats:4222`, `http://minio:9000`, or `cassandra:9042,other:9042`. */
function hostsOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(",").map(
    (part) =>
      part
        .trim()
        .replace(/^\w+:\/\//, "")
        .split(/[:/]/)[0]!,
  );
}

const SECONDS_PER: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1 };

/** compose's durations: `45s`, `11m`, `1m30s`, `1h`. */
function durationOf(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) return undefined;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (SECONDS_PER[unit!] ?? 0), 0);
}
