/**
 * Runs a side effect whose failure must not undo what the user already did (a notification after a stored
 * like): the action answers as stored, and the inbox is the one to watch for lost notifications.
 */
export async function quietly(effect: () => Promise<void>): Promise<void> {
  try {
    await effect();
  } catch {
    // Deliberately dropped: see above.
  }
}
