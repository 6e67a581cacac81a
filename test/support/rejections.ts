import { expect } from "chai";
import { AppError } from "../../lib/errors";

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error("expected a rejection, but the operation succeeded");
}

/** The domain error (status and code) a promise rejects with; fails the test on anything else. */
export async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await rejectionOf(promise);
  expect(error).to.be.instanceOf(AppError);
  return error as AppError;
}
