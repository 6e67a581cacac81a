/**
 * Whether the node at `url` is up with everything it hosts, though actions its routes call may have no node yet.
 * Tests that bring a partial cluster up one node at a time wait for this: a gateway is fully ready only once
 * every action of its route table has a live endpoint, which such a cluster may never have.
 */
export async function upApartFromActions(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`);
    const body = (await res.json()) as { missing?: unknown };
    if (res.status === 200) return true;
    return (
      Array.isArray(body.missing) &&
      body.missing.every((name) => typeof name === "string" && name.startsWith("actions:"))
    );
  } catch {
    return false;
  }
}
