// Builds the services for one CLI command (lab and repository from flags or the environment) and closes them after.
import { createServices, type Services } from '../services/services';

/** Options every service-backed command accepts. */
export const commonOptions = {
  lab: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
  repo: { type: 'string' },
} as const;

export async function withServices<T>(
  lab: string | undefined,
  repo: string | undefined,
  fn: (s: Services) => Promise<T>,
): Promise<T> {
  const s = await createServices(lab ? { labDir: lab } : {});
  try {
    if (repo) await s.repos.select(repo, process.env.HVBC_REPO_PASSPHRASE);
    return await fn(s);
  } finally {
    await s.close();
  }
}
