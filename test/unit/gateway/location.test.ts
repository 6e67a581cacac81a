import { expect } from "chai";
import { locationOf } from "../../../services/gateway/location";

describe("gateway: the Location of a 201", () => {
  it("names where each created resource is read", () => {
    const cases: [string, unknown, string][] = [
      ["users.signup", { token: "t", user: { id: "1", username: "ada" } }, "/api/users/ada"],
      ["posts.create", { id: "42", caption: "" }, "/api/posts/42"],
      ["interactions.comment", { id: "7", postId: "42" }, "/api/posts/42/comments"],
      ["interactions.share", { id: "8", conversationId: "9" }, "/api/conversations/9/messages"],
      ["stories.create", { id: "5", author: { username: "ada" } }, "/api/users/ada/stories"],
      ["inbox.openConversation", { id: "9", members: [] }, "/api/conversations/9/messages"],
      ["inbox.send", { id: "10", conversationId: "9" }, "/api/conversations/9/messages"],
      ["media.upload", { id: "11", type: "image" }, "/api/media/11"],
      ["media.startUpload", { id: "12", partSize: 1, partCount: 1 }, "/api/uploads/12"],
      ["media.presign", { mediaId: "13", url: "http://s3/x" }, "/api/media/13"],
    ];
    for (const [action, created, location] of cases) {
      expect(locationOf(action, created), action).to.equal(location);
    }
  });

  it("names nothing for an action it does not know, or an answer without the id", () => {
    expect(locationOf("posts.get", { id: "1" })).to.equal(undefined);
    expect(locationOf("posts.create", { caption: "no id" })).to.equal(undefined);
    expect(locationOf("posts.create", null)).to.equal(undefined);
  });
});
