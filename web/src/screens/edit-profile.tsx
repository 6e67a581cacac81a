import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import { session, updateMe } from "../api/session";
import type { UserView } from "../api/types";
import { useLoad } from "../api/use-load";
import { useSingleUpload } from "../api/use-upload";
import { Avatar } from "../components/avatar";
import { ErrorBanner } from "../components/error-banner";
import { Link } from "../router";
import "../styles/profile.css";

const MAX_NAME = 64;
const MAX_BIO = 150;

/** The photo just chosen: its name, and an object URL to show it before the server has it. */
interface ChosenPhoto {
  name: string;
  preview: string;
}

/**
 * One's own profile: display name, bio, privacy and photo. The photo is uploaded (resumably) as soon as it is
 * chosen and set at once, like Instagram; "Save" sends the rest and waits for a photo still uploading.
 */
export function EditProfileScreen() {
  const {
    value: me,
    error,
    reload,
  } = useLoad(async (signal) => {
    const fresh = await api<UserView>("GET", "/me", { signal });
    updateMe(fresh);
    return fresh;
  }, []);

  return (
    <section class="edit-profile">
      <h1>Edit profile</h1>
      {me ? (
        <ProfileForm me={me} />
      ) : error === null ? (
        <p class="muted" role="status">
          Loading…
        </p>
      ) : (
        <ErrorBanner error={error} onRetry={reload} />
      )}
    </section>
  );
}

function ProfileForm(props: { me: UserView }) {
  const [displayName, setDisplayName] = useState(props.me.displayName);
  const [bio, setBio] = useState(props.me.bio);
  const [isPrivate, setIsPrivate] = useState(props.me.isPrivate);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [photo, setPhoto] = useState<ChosenPhoto | null>(null);
  const upload = useSingleUpload();
  const pendingPhoto = useRef<Promise<unknown>>(Promise.resolve());

  // A new photo, or leaving the page, frees the preview.
  useEffect(() => () => photo && URL.revokeObjectURL(photo.preview), [photo?.preview]);

  const choosePhoto = (file: File | undefined) => {
    if (!file) return;
    setPhoto({ name: file.name, preview: URL.createObjectURL(file) });
    setStatus("");
    pendingPhoto.current = upload.start(file, async (media) => {
      // Still processing is fine: the server shows the new picture once it is ready. Not stopped by leaving the
      // page: the photo is uploaded, it should become the profile's.
      const user = await api<UserView>("PATCH", "/me", { body: { avatarMediaId: media.id } });
      updateMe(user);
      setStatus("Profile photo updated.");
    });
  };

  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    setStatus("");
    try {
      await pendingPhoto.current;
      const user = await api<UserView>("PATCH", "/me", {
        body: { displayName: displayName.trim(), bio: bio.trim(), isPrivate },
      });
      updateMe(user);
      setStatus("Saved");
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const me = session.value?.me ?? props.me;
  const { progress } = upload;
  const percent = progress ? Math.round((progress.sent / Math.max(1, progress.size)) * 100) : 0;
  return (
    <form class="card stack edit-profile-form" onSubmit={(e) => void save(e)}>
      <div class="edit-profile-photo">
        {photo ? (
          <img class="avatar avatar-l" src={photo.preview} alt="Your new profile photo" />
        ) : (
          <Avatar user={me} size="l" />
        )}
        <div class="stack">
          <strong>{me.username}</strong>
          <label>
            Profile photo
            <input type="file" accept="image/*" onChange={(e) => choosePhoto(e.currentTarget.files?.[0])} />
          </label>
          {photo && upload.busy && (
            <label class="edit-profile-progress">
              <span class="muted">
                {progress?.phase === "retrying"
                  ? "Connection lost: retrying…"
                  : progress === null || progress.phase === "finishing"
                    ? "Finishing…"
                    : `Uploading ${photo.name}… ${percent}%`}
              </span>
              <progress max={100} value={progress ? percent : 100} aria-label={`Uploading ${photo.name}`} />
            </label>
          )}
          <ErrorBanner error={upload.error} />
        </div>
      </div>
      <label>
        Display name
        <input
          name="displayName"
          value={displayName}
          maxLength={MAX_NAME}
          autoComplete="name"
          onInput={(e) => setDisplayName(e.currentTarget.value)}
        />
      </label>
      <label>
        Bio
        <textarea
          name="bio"
          rows={3}
          value={bio}
          maxLength={MAX_BIO}
          aria-describedby="bio-count"
          onInput={(e) => setBio(e.currentTarget.value)}
        />
      </label>
      <p id="bio-count" class="muted edit-profile-count">
        {bio.length} / {MAX_BIO}
      </p>
      <label class="inline">
        <input type="checkbox" checked={isPrivate} onChange={(e) => setIsPrivate(e.currentTarget.checked)} />
        Private account
      </label>
      <p class="muted edit-profile-hint">
        When your account is private, only people you approve see your photos, videos and lists of followers.
      </p>
      <ErrorBanner error={error} />
      <div class="row">
        <button type="submit" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <Link href={`/u/${encodeURIComponent(me.username)}`}>Back to your profile</Link>
        <Link href="/settings/security">Password and sessions</Link>
        <Link href="/settings/notifications">Push notifications</Link>
        <p role="status" class="edit-profile-status">
          {status}
        </p>
      </div>
    </form>
  );
}
