// Who may steer the factory on GitHub: its own identities, by user id and signature, and people with write access.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FactoryError } from '../../core/errors.ts';
import { attempt, type GitHubClient, statusOf, toFactoryError } from './client.ts';

/** The login every workflow of a repository writes as with GITHUB_TOKEN: an identity the factory shares. */
export const ACTIONS_LOGIN = 'github-actions[bot]';
/** `author_association` values of people with write access (GITHUB-NOTES.md, "Who may steer"). */
const WRITERS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);
/** Bytes of a signature kept: 96 bits, 16 base64url characters, short enough for a status description. */
const SIGNATURE_BYTES = 12;
const SIGNATURE = / \[sig:([A-Za-z0-9_-]+)\]$/;

/** The author of a comment, review, status or pull request, as GitHub lists it. */
export interface GitHubAccount {
  id: number;
  login: string;
  type?: string;
}

const VIEWER = 'query AifactoryViewer { viewer { databaseId login } }';

/**
 * The integrity rule of SECURITY.md, for one run. Text on GitHub proves nothing about who wrote
 * it: anyone may comment, review, open a pull request from a fork, copy a hidden marker, and any
 * workflow writing with GITHUB_TOKEN writes as the same `github-actions[bot]` as the factory in a
 * one-token set-up. So:
 * - the factory's own marks (review markers, `aifactory/*` statuses) count only when written by
 *   one of its identities, learnt from GitHub (GraphQL `viewer`, which also answers App
 *   installation tokens, where `GET /user` is refused), and — when a signing key is configured,
 *   or when that identity is the shared `github-actions[bot]` — only when they carry an HMAC of
 *   their content under the key, which no other workflow holds;
 * - other people's input counts only from people with write access (`author_association`, and the
 *   collaborator-permission endpoint where there is none, as on a commit status).
 */
export class Trust {
  readonly #clients: readonly GitHubClient[];
  readonly #graphqlUrl: string;
  readonly #repo: { owner: string; repo: string };
  readonly #key: string | undefined;
  #own: Promise<Map<number, GitHubAccount>> | undefined;
  readonly #writers = new Map<string, Promise<boolean>>();

  constructor(
    clients: readonly GitHubClient[],
    graphqlUrl: string,
    repo: { owner: string; repo: string },
    key?: string,
  ) {
    this.#clients = clients;
    this.#graphqlUrl = graphqlUrl;
    this.#repo = repo;
    this.#key = key === '' ? undefined : key;
  }

  /** The factory's identities (its author's and its reviewer's), by user id, read once per run. */
  ownAccounts(): Promise<Map<number, GitHubAccount>> {
    this.#own ??= Promise.all(this.#clients.map((client) => this.#viewer(client)))
      .then((accounts) => new Map(accounts.map((account) => [account.id, account])))
      .catch((error: unknown) => {
        this.#own = undefined;
        throw error;
      });
    return this.#own;
  }

  async #viewer(client: GitHubClient): Promise<GitHubAccount> {
    const { data } = await attempt('asking GitHub who the factory is', () =>
      client.request({ method: 'POST', url: this.#graphqlUrl, query: VIEWER }),
    );
    const viewer = (data as { data?: { viewer?: { databaseId?: number | null; login?: string } } }).data
      ?.viewer;
    if (typeof viewer?.databaseId !== 'number' || typeof viewer.login !== 'string') {
      throw new FactoryError(
        'auth',
        'GitHub did not say which account the factory token belongs to (GraphQL viewer); check AIFACTORY_GITHUB_TOKEN / GITHUB_TOKEN',
      );
    }
    return { id: viewer.databaseId, login: viewer.login };
  }

  /** True when `who` is one of the factory's identities (by id; a login or a marker proves nothing). */
  async isOwn(who: { id: number } | null | undefined): Promise<boolean> {
    return who !== null && who !== undefined && (await this.ownAccounts()).has(who.id);
  }

  /**
   * True when a mark of the factory's, written by `who` with `signature` over `content`, is its
   * own: written by one of its identities and, where that identity is shared with every workflow
   * or a key is configured, signed with the key.
   */
  async isOwnMark(
    who: { id: number } | null | undefined,
    content: string,
    signature: string | undefined,
  ): Promise<boolean> {
    if (!who) return false;
    const account = (await this.ownAccounts()).get(who.id);
    if (!account) return false;
    if (this.#key === undefined) return account.login !== ACTIONS_LOGIN;
    return signature !== undefined && this.#verify(content, signature);
  }

  /** The signature of `content` under the key; undefined without a key. */
  sign(content: string): string | undefined {
    if (this.#key === undefined) return undefined;
    return createHmac('sha256', this.#key)
      .update(content)
      .digest()
      .subarray(0, SIGNATURE_BYTES)
      .toString('base64url');
  }

  #verify(content: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(content) ?? '');
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /**
   * True when the person `who` may steer: write access by `association` where GitHub gives one,
   * else (a commit status carries none) by the collaborator-permission endpoint, asked once per
   * login per run. Apps and GITHUB_TOKEN statuses come from what the repository's admins
   * installed or committed, so a Bot counts; the factory's own marks are judged by `isOwnMark`.
   */
  async maySteer(who: GitHubAccount | null | undefined, association?: string): Promise<boolean> {
    if (!who) return false;
    if (association !== undefined) return WRITERS.has(association);
    if (who.type === 'Bot' || (await this.isOwn(who))) return true;
    let answer = this.#writers.get(who.login);
    if (!answer) {
      answer = this.#permission(who.login);
      this.#writers.set(who.login, answer);
      answer.catch(() => this.#writers.delete(who.login));
    }
    return answer;
  }

  async #permission(login: string): Promise<boolean> {
    const [client] = this.#clients;
    try {
      const { data } = await client!.rest.repos.getCollaboratorPermissionLevel({
        ...this.#repo,
        username: login,
      });
      return data.permission === 'admin' || data.permission === 'write' || data.permission === 'maintain';
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw toFactoryError(error, `reading the permission of ${login}`);
    }
  }
}

/** GitHub keeps 140 characters of a status description. */
const DESCRIPTION_CHARS = 140;

/** A status description: `text`, cut to fit, with `signature` appended. */
export function withSignature(text: string, signature: string | undefined): string {
  const suffix = signature ? ` [sig:${signature}]` : '';
  const room = DESCRIPTION_CHARS - suffix.length;
  const body = text.length > room ? `${text.slice(0, room - 1)}…` : text;
  return `${body}${suffix}`;
}

/** The signature a status description ends with, if any. */
export function signatureOf(description: string | null | undefined): string | undefined {
  return SIGNATURE.exec(description ?? '')?.[1];
}

/** What a commit status's signature covers: the commit, the context and the state. */
export function statusContent(sha: string, context: string, state: string): string {
  return `status\n${sha}\n${context}\n${state}`;
}
