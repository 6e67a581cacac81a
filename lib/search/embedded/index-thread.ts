/**
 * The entry of the embedded index's own thread (see threaded-search-index.ts): one EmbeddedSearchIndex, called
 * through messages. Not imported by anything; the main thread starts it as a Worker.
 */
import { parentPort, workerData } from "node:worker_threads";
import { EmbeddedSearchIndex } from "./embedded-search-index";
import type { IndexThreadCall, IndexThreadOptions, IndexThreadReply } from "./thread-protocol";
import { threadErrorOf } from "./thread-protocol";

const port = parentPort;
if (port === null) throw new Error("index-thread.ts runs as a worker thread only");

const index = new EmbeddedSearchIndex(workerData as IndexThreadOptions);

function run(call: IndexThreadCall): Promise<unknown> {
  switch (call.method) {
    case "open":
      return index.open().then(() => index.identity());
    case "close":
      return index.close();
    case "isReady":
      return index.isReady();
    case "apply":
      return index.apply(...call.args);
    case "searchUsers":
      return index.searchUsers(...call.args);
    case "searchTags":
      return index.searchTags(...call.args);
    case "searchPosts":
      return index.searchPosts(...call.args);
    case "count":
      return index.count(...call.args);
    case "live":
      return index.generations.live();
    case "create":
      return index.generations.create();
    case "promote":
      return index.generations.promote(...call.args);
    case "drop":
      return index.generations.drop(...call.args);
    case "list":
      return index.generations.list();
  }
}

port.on("message", (call: IndexThreadCall) => {
  const reply = (message: IndexThreadReply) => port.postMessage(message);
  // A method that throws before its promise exists is a rejection all the same.
  Promise.resolve()
    .then(() => run(call))
    .then(
      (value) => reply({ id: call.id, ok: true, value }),
      (error: unknown) => reply({ id: call.id, ok: false, error: threadErrorOf(error) }),
    );
});
