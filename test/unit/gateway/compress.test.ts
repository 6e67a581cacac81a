import { expect } from "chai";
import { acceptedEncoding } from "../../../services/gateway/compress";

describe("acceptedEncoding", () => {
  it("prefers brotli, then gzip, among what the client accepts", () => {
    expect(acceptedEncoding("gzip, deflate, br")).to.equal("br");
    expect(acceptedEncoding("gzip, deflate")).to.equal("gzip");
    expect(acceptedEncoding("deflate")).to.equal(undefined);
    expect(acceptedEncoding(undefined)).to.equal(undefined);
    expect(acceptedEncoding("*")).to.equal("br");
  });

  it("honours q-values, q=0 refusing an encoding", () => {
    expect(acceptedEncoding("br;q=0, gzip")).to.equal("gzip");
    expect(acceptedEncoding("br;q=0.5, gzip;q=0.9")).to.equal("gzip");
    expect(acceptedEncoding("gzip;q=0, br;q=0")).to.equal(undefined);
    expect(acceptedEncoding("*;q=0")).to.equal(undefined);
    expect(acceptedEncoding("identity, *;q=0")).to.equal(undefined);
  });
});
