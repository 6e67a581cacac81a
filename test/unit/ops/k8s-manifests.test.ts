import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
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
import type { IContainer } from "kubernetes-models/v1/Container" with { "resolution-mode": "import" };
import { envOf, readDockerfile } from "./dockerfile";
import { isKind, nameOf, type Manifest } from "./k8s-objects";
import { checkManifests, GATEWAY_RPS_METRIC } from "./k8s-rules";
import { isTypeMeta, K8sSchemas, type TypeMeta } from "./k8s-schemas";
import { isRecord, parseYamlDocuments, readYamlDocuments } from "./yaml-files";

const REPO = path.resolve(__dirname, "../../..");
const K8S = path.join(REPO, "k8s");

describe("k8s manifests", function () {
  // Building the type checker over the kubernetes-models declarations takes a few seconds on a busy machine.
  this.timeout(60_000);
  let manifests: Manifest[];
  let schemas: K8sSchemas;
  let imageEnv: Record<string, string>;

  before(async () => {
    manifests = readManifests();
    schemas = await K8sSchemas.load(manifests.map((m) => m.object));
    imageEnv = envOf(readDockerfile(path.join(REPO, "Dockerfile")).at(-1)!);
  });

  /** Schema problems, then the rules' problems, one line each. */
  function problemsOf(set: readonly Manifest[]): string[] {
    const schemaProblems = set.flatMap((m) =>
      schemas.problems(m.object).map((p) => `${m.file}#${m.index} ${p}`),
    );
    return [...schemaProblems, ...checkManifests(set, { imageEnv })];
  }

  it("reads every document of every k8s/*.yaml", () => {
    const files = new Set(manifests.map((m) => m.file));
    expect([...files]).to.include.members([
      "config.yaml",
      "gateway.yaml",
      "ingress.yaml",
      "search.yaml",
      "transcoder.yaml",
    ]);
    expect(
      manifests.filter((m) => m.object.kind === "Deployment" || m.object.kind === "StatefulSet"),
    ).to.have.length(6);
  });

  it("every document is valid against the Kubernetes schemas, unknown fields rejected", () => {
    expect(
      manifests.flatMap((m) => schemas.problems(m.object).map((p) => `${m.file}#${m.index} ${p}`)),
    ).to.deep.equal([]);
  });

  it("every workload has its probes, budget, spread, security, resources, grace and autoscaler", () => {
    expect(checkManifests(manifests, { imageEnv })).to.deep.equal([]);
  });

  it("k8s/README.md gives the Prometheus adapter rule behind the gateways' second metric", () => {
    // The adapter's own config has `rules: [...]`; the Helm chart's values have `rules: { custom: [...] }`.
    const rules = yamlBlocks(readFileSync(path.join(K8S, "README.md"), "utf8")).flatMap(
      (block): unknown[] => {
        const found = isRecord(block) ? block.rules : undefined;
        if (Array.isArray(found)) return found;
        return isRecord(found) && Array.isArray(found.custom) ? found.custom : [];
      },
    );
    const rule = rules.filter(isRecord).find((r) => isRecord(r.name) && r.name.as === GATEWAY_RPS_METRIC);
    expect(rule, `an adapter rule naming ${GATEWAY_RPS_METRIC}`).to.not.equal(undefined);
    expect(String(rule?.seriesQuery)).to.contain("mosaic_http_requests_total");
    expect(String(rule?.metricsQuery)).to.match(/rate\(<<\.Series>>\{<<\.LabelMatchers>>/);
  });

  describe("a broken copy is caught", () => {
    const breakages: { what: string; apply(copy: Manifest[]): void; expect: RegExp }[] = [
      {
        what: "a misspelt field (readinessProbes)",
        apply: (copy) => {
          const container = mosaicContainer(workload(copy, "mosaic-gateway"));
          Object.assign(container, { readinessProbes: container.readinessProbe });
          delete container.readinessProbe;
        },
        expect: /containers\/0\/readinessProbes: no such field in IContainer/,
      },
      {
        what: "a field of the wrong type",
        apply: (copy) => Object.assign(workload(copy, "mosaic-users").spec!, { replicas: "2" }),
        expect: /spec\/replicas must be integer/,
      },
      {
        what: "an unquoted `on` in the ConfigMap (a boolean in YAML 1.1)",
        apply: (copy) =>
          Object.assign(object<IConfigMap>(copy, "v1", "ConfigMap", "mosaic-config").data!, {
            S3_FORCE_PATH_STYLE: true,
          }),
        expect: /data\/S3_FORCE_PATH_STYLE must be string/,
      },
      {
        what: "a kind kubernetes-models has no schema for",
        apply: (copy) =>
          copy.push({
            file: "extra.yaml",
            index: 0,
            object: { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor" },
          }),
        expect: /no schema for monitoring.coreos.com\/v1 ServiceMonitor/,
      },
      {
        what: "no startup probe",
        apply: (copy) => delete mosaicContainer(workload(copy, "mosaic-search")).startupProbe,
        expect: /search.yaml#0 StatefulSet\/mosaic-search container mosaic: no startupProbe/,
      },
      {
        what: "readiness asked on the metrics port",
        apply: (copy) =>
          (mosaicContainer(workload(copy, "mosaic-gateway")).readinessProbe!.httpGet!.port = "metrics"),
        expect: /readinessProbe asks port metrics \(9464\), the node answers probes on 3000/,
      },
      {
        what: "liveness asking readiness",
        apply: (copy) =>
          (mosaicContainer(workload(copy, "mosaic-users")).livenessProbe!.httpGet!.path = "/health/ready"),
        expect: /livenessProbe asks \/health\/ready, expected \/health\/live/,
      },
      {
        what: "no PodDisruptionBudget for a role",
        apply: (copy) => remove(copy, "PodDisruptionBudget", "mosaic-social"),
        expect: /StatefulSet\/mosaic-social: 0 PodDisruptionBudgets select its pods/,
      },
      {
        what: "a budget selecting every role",
        apply: (copy) => (budget(copy, "mosaic-gateway").spec!.selector = { matchLabels: { app: "mosaic" } }),
        expect: /PodDisruptionBudget\/mosaic-gateway: selects the pods of .*mosaic-users/,
      },
      {
        what: "a budget that allows no eviction",
        apply: (copy) => {
          const spec = budget(copy, "mosaic-users").spec!;
          delete spec.maxUnavailable;
          spec.minAvailable = 2;
        },
        expect: /PodDisruptionBudget\/mosaic-users: lets no pod of 2 be evicted/,
      },
      {
        what: "a container that may run as root",
        apply: (copy) =>
          (workload(copy, "mosaic-transcoder").spec!.template.spec!.securityContext!.runAsNonRoot = false),
        expect: /mosaic-transcoder container mosaic: runAsNonRoot is not true/,
      },
      {
        what: "a writable root filesystem",
        apply: (copy) =>
          delete mosaicContainer(workload(copy, "mosaic-actors")).securityContext!.readOnlyRootFilesystem,
        expect: /mosaic-actors container mosaic: the root filesystem is writable/,
      },
      {
        what: "no memory limit",
        apply: (copy) => delete mosaicContainer(workload(copy, "mosaic-gateway")).resources!.limits,
        expect: /no resources.limits.memory/,
      },
      {
        what: "a grace period shorter than preStop + drain + grace",
        apply: (copy) =>
          (workload(copy, "mosaic-gateway").spec!.template.spec!.terminationGracePeriodSeconds = 30),
        expect: /terminationGracePeriodSeconds 30 is not above preStop \+ drain \+ grace \(5 \+ 5 \+ 30 s\)/,
      },
      {
        what: "a transcoder that stops before its longest job",
        apply: (copy) =>
          setEnv(mosaicContainer(workload(copy, "mosaic-transcoder")), "SHUTDOWN_GRACE_MS", "30000"),
        expect:
          /mosaic-transcoder container mosaic: a shutdown grace of 30 s is shorter than the longest transcode \(600 s\)/,
      },
      {
        what: "no preStop",
        apply: (copy) => delete mosaicContainer(workload(copy, "mosaic-search")).lifecycle,
        expect: /mosaic-search container mosaic: no preStop sleep/,
      },
      {
        what: "a node its config would refuse (no S3 keys with BLOBS=s3)",
        apply: (copy) => {
          const container = mosaicContainer(workload(copy, "mosaic-gateway"));
          container.env = container.env?.filter((e) => !e.name.startsWith("S3_"));
        },
        expect:
          /mosaic-gateway container mosaic: the node would not start: S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY/,
      },
      {
        what: "a misspelt setting",
        apply: (copy) =>
          Object.assign(object<IConfigMap>(copy, "v1", "ConfigMap", "mosaic-config").data!, {
            REDIS_ULR: "redis://redis:6379",
          }),
        expect: /REDIS_ULR is not a setting of config\/schema.ts/,
      },
      {
        what: "an image tagged latest",
        apply: (copy) => (mosaicContainer(workload(copy, "mosaic-social")).image = "mosaic:latest"),
        expect: /image mosaic:latest is not pinned/,
      },
      {
        what: "no spread over nodes",
        apply: (copy) => delete workload(copy, "mosaic-users").spec!.template.spec!.topologySpreadConstraints,
        expect: /StatefulSet\/mosaic-users: no topology spread/,
      },
      {
        what: "a role without a service (discovery dropped)",
        apply: (copy) =>
          setEnv(
            mosaicContainer(workload(copy, "mosaic-social")),
            "SERVICES",
            "graph,posts,timeline,interactions,stories,inbox",
          ),
        expect: /no workload hosts the discovery service/,
      },
      {
        what: "an autoscaler without behavior",
        apply: (copy) => delete autoscaler(copy, "mosaic-search").spec.behavior,
        expect: /HorizontalPodAutoscaler\/mosaic-search: no behavior/,
      },
      {
        what: "gateways scaled on CPU alone",
        apply: (copy) => autoscaler(copy, "mosaic-gateway").spec.metrics!.splice(1),
        expect: /a gateway scales on cpu and mosaic_http_requests_per_second, not on cpu$/,
      },
      {
        what: "two roles minting with the same worker ids",
        apply: (copy) => setEnv(mosaicContainer(workload(copy, "mosaic-actors")), "WORKER_ID_OFFSET", "105"),
        expect:
          /StatefulSet\/mosaic-social container mosaic: worker ids 100–109 overlap those of .*mosaic-actors/,
      },
      {
        what: "an event stream the ingress cuts after a minute",
        apply: (copy) =>
          (ingress(copy, "mosaic-stream").metadata!.annotations![
            "nginx.ingress.kubernetes.io/proxy-read-timeout"
          ] = "60"),
        expect: /proxy-read-timeout of \/api\/stream is under 3600 s/,
      },
      {
        what: "an ingress that refuses a 200 MB upload",
        apply: (copy) =>
          (ingress(copy, "mosaic").metadata!.annotations!["nginx.ingress.kubernetes.io/proxy-body-size"] =
            "100m"),
        expect: /Ingress\/mosaic: proxy-body-size refuses a 200 MB upload/,
      },
      {
        what: "metrics annotated on the probes' port",
        apply: (copy) =>
          (workload(copy, "mosaic-users").spec!.template.metadata!.annotations!["prometheus.io/port"] =
            "3000"),
        expect: /not annotated for Prometheus to scrape port 9464/,
      },
    ];
    for (const breakage of breakages) {
      it(breakage.what, () => {
        const copy = structuredClone(manifests);
        breakage.apply(copy);
        expect(problemsOf(copy).join("\n")).to.match(new RegExp(breakage.expect.source, "m"));
      });
    }
  });
});

function readManifests(): Manifest[] {
  return readdirSync(K8S)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .flatMap((file) =>
      readYamlDocuments(path.join(K8S, file)).map((object, index) => {
        if (!isTypeMeta(object)) throw new Error(`k8s/${file}#${index}: not a Kubernetes object`);
        return { file, index, object };
      }),
    );
}

/** The YAML code blocks of a Markdown file. */
function yamlBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].flatMap((m, i) =>
    parseYamlDocuments(m[1]!, `k8s/README.md, YAML block ${i + 1}`),
  );
}

function object<T extends TypeMeta>(
  copy: Manifest[],
  apiVersion: T["apiVersion"],
  kind: T["kind"],
  name: string,
): T {
  for (const { object } of copy) {
    if (isKind<T>(object, apiVersion, kind) && nameOf(object) === name) return object;
  }
  throw new Error(`no ${kind}/${name}`);
}

function workload(copy: Manifest[], name: string): IDeployment | IStatefulSet {
  const found = copy.find(
    (m) => nameOf(m.object) === name && (m.object.kind === "Deployment" || m.object.kind === "StatefulSet"),
  );
  if (!found) throw new Error(`no workload ${name}`);
  return found.object.kind === "Deployment"
    ? object<IDeployment>(copy, "apps/v1", "Deployment", name)
    : object<IStatefulSet>(copy, "apps/v1", "StatefulSet", name);
}

function mosaicContainer(w: IDeployment | IStatefulSet): IContainer {
  return w.spec!.template.spec!.containers.find((c) => c.name === "mosaic")!;
}

function budget(copy: Manifest[], name: string): IPodDisruptionBudget {
  return object<IPodDisruptionBudget>(copy, "policy/v1", "PodDisruptionBudget", name);
}

function autoscaler(copy: Manifest[], name: string): IHorizontalPodAutoscaler {
  return object<IHorizontalPodAutoscaler>(copy, "autoscaling/v2", "HorizontalPodAutoscaler", name);
}

function ingress(copy: Manifest[], name: string): IIngress {
  return object<IIngress>(copy, "networking.k8s.io/v1", "Ingress", name);
}

function remove(copy: Manifest[], kind: string, name: string): void {
  const at = copy.findIndex((m) => m.object.kind === kind && nameOf(m.object) === name);
  if (at < 0) throw new Error(`no ${kind}/${name}`);
  copy.splice(at, 1);
}

function setEnv(container: IContainer, name: string, value: string): void {
  container.env = [...(container.env ?? []).filter((e) => e.name !== name), { name, value }];
}
