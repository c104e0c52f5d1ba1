import { randomUUID } from 'node:crypto';
import { isObject, match, type Incoming, type Outgoing } from '../http.js';
import { checkId, decodeToken, encodeToken, problem } from './session-memory.js';

/**
 * Namespace objects of the Redis Agent Memory reference server, as the official SDK 0.4.1 shows
 * them (specs/redis-agent-memory.sdk-0.4.1.overlay.yaml): a tree of named namespaces that
 * sessions and records are placed in with `namespaceRef`. Modelled: CRUD, a name taken among
 * siblings (archived ones too) is 409, archiving is one-way and an archived namespace takes nothing
 * new (409), a namespace with children, sessions or records cannot be deleted (409), and
 * `namespace` with `namespaceRef` in one request is a 400.
 */
interface Violation {
  field: string;
  rule: string;
  message: string;
}

export interface StoredNamespace {
  namespaceId: string;
  name: string;
  rootId: string;
  scope: 'PERSONAL' | 'SHARED';
  state: 'ACTIVE' | 'ARCHIVED';
  revision: number;
  createdAt: string;
  updatedAt: string;
  path: string;
  parentId?: string;
  ownerId?: string;
}

export interface NamespaceRef {
  namespaceId: string;
  name: string;
  path: string;
}

const SCOPES = ['PERSONAL', 'SHARED'];

const conflict = (detail: string): Outgoing => problem(409, detail);

export class NamespaceTable {
  readonly byId = new Map<string, StoredNamespace>();

  /** Whether a namespace holds anything; set by the server that owns sessions and records. */
  inUse: (namespaceId: string) => boolean = () => false;

  ref(namespaceId: string | undefined): NamespaceRef | undefined {
    const ns = namespaceId === undefined ? undefined : this.byId.get(namespaceId);
    return ns && { namespaceId: ns.namespaceId, name: ns.name, path: ns.path };
  }

  /**
   * Reads a request's placement: `namespace` (label) or `namespaceRef` (object), never both. Returns
   * the namespace object's id, or an error response (400 for the shape, 404 unknown, 409 archived).
   */
  placement(body: Record<string, unknown>, prefix: string, v: Violation[]): { namespaceId?: string; error?: Outgoing } {
    const ref = body.namespaceRef;
    if (ref === undefined) return {};
    if (body.namespace !== undefined) {
      v.push({ field: `${prefix}namespaceRef`, rule: 'exclusive', message: 'namespace and namespaceRef cannot be sent together' });
      return {};
    }
    if (!isObject(ref) || typeof ref.namespaceId !== 'string' || !ref.namespaceId) {
      v.push({ field: `${prefix}namespaceRef.namespaceId`, rule: 'required', message: 'namespaceRef.namespaceId is required' });
      return {};
    }
    const ns = this.byId.get(ref.namespaceId);
    if (!ns) return { error: problem(404, `namespace ${ref.namespaceId} not found`) };
    if (ns.state === 'ARCHIVED') return { error: conflict(`namespace ${ns.path} is archived`) };
    return { namespaceId: ns.namespaceId };
  }

  handler(): (req: Incoming, storeId: string) => Outgoing | undefined {
    return (req, storeId) => {
      const base = `/v1/stores/${storeId}/namespaces`;
      if (req.path === base && req.method === 'GET') return this.list(req);
      if (req.path === base && req.method === 'POST') return this.create(req);
      const one = match('/v1/stores/{storeId}/namespaces/{namespaceId}', req.path);
      if (!one) return undefined;
      const ns = this.byId.get(one.namespaceId!);
      if (req.method === 'GET') return ns ? { status: 200, body: { namespace: ns } } : problem(404, `namespace ${one.namespaceId} not found`);
      if (req.method === 'PATCH') return ns ? this.update(ns, req) : problem(404, `namespace ${one.namespaceId} not found`);
      if (req.method === 'DELETE') {
        if (!ns) return problem(404, `namespace ${one.namespaceId} not found`);
        if ([...this.byId.values()].some((c) => c.parentId === ns.namespaceId)) return conflict(`namespace ${ns.path} has child namespaces`);
        if (this.inUse(ns.namespaceId)) return conflict(`namespace ${ns.path} holds sessions or memories`);
        this.byId.delete(ns.namespaceId);
        return { status: 204 };
      }
      return undefined;
    };
  }

  private list(req: Incoming): Outgoing {
    const v: Violation[] = [];
    const limitRaw = req.query.get('limit');
    const limit = limitRaw === null ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) v.push({ field: 'limit', rule: 'range', message: 'limit must be an integer from 1 to 1000' });
    const scope = req.query.get('scope');
    if (scope !== null && !SCOPES.includes(scope)) v.push({ field: 'scope', rule: 'enum', message: 'scope must be PERSONAL or SHARED' });
    const token = req.query.get('pageToken');
    const offset = token === null ? 0 : decodeToken(token);
    if (offset === undefined) v.push({ field: 'pageToken', rule: 'format', message: 'pageToken is not a token this service issued' });
    if (v.length) return problem(400, 'invalid query parameters', v);
    const parentId = req.query.get('parentId');
    const ownerId = req.query.get('ownerId');
    const all = [...this.byId.values()].filter(
      (n) => (parentId === null || n.parentId === parentId) && (scope === null || n.scope === scope) && (ownerId === null || n.ownerId === ownerId),
    );
    const next = offset! + limit < all.length ? encodeToken(offset! + limit) : undefined;
    return { status: 200, body: { items: all.slice(offset, offset! + limit), ...(next ? { nextPageToken: next } : {}) } };
  }

  private create(req: Incoming): Outgoing {
    if (req.bodyError || !isObject(req.body)) return problem(400, req.bodyError ?? 'request body must be a JSON object');
    const b = req.body;
    const v: Violation[] = [];
    const fromPath = typeof b.path === 'string' ? b.path.split('/').filter(Boolean) : undefined;
    const name = typeof b.name === 'string' && b.name ? b.name : fromPath?.at(-1);
    if (!name) v.push({ field: 'name', rule: 'required', message: 'give name or path' });
    if (b.scope !== undefined && (typeof b.scope !== 'string' || !SCOPES.includes(b.scope)))
      v.push({ field: 'scope', rule: 'enum', message: 'scope must be PERSONAL or SHARED' });
    if (b.ownerId !== undefined) checkId(v, 'ownerId', b.ownerId, true);
    if (b.scope === 'PERSONAL' && b.ownerId === undefined) v.push({ field: 'ownerId', rule: 'required', message: 'a PERSONAL namespace needs ownerId' });
    if (v.length) return problem(400, 'request validation failed', v);
    const parent = typeof b.parentId === 'string' ? this.byId.get(b.parentId) : undefined;
    if (b.parentId !== undefined && !parent) return problem(404, `namespace ${JSON.stringify(b.parentId)} not found`);
    if (parent?.state === 'ARCHIVED') return conflict(`namespace ${parent.path} is archived`);
    const path = parent ? `${parent.path}/${name!}` : fromPath && fromPath.length > 1 ? fromPath.join('/') : name!;
    // Archived namespaces keep their location.
    if ([...this.byId.values()].some((n) => n.path === path)) return conflict(`namespace ${path} exists`);
    const now = new Date().toISOString();
    const namespaceId = randomUUID();
    const ns: StoredNamespace = {
      namespaceId,
      name: name!,
      rootId: parent?.rootId ?? namespaceId,
      scope: (b.scope as StoredNamespace['scope'] | undefined) ?? 'SHARED',
      state: 'ACTIVE',
      revision: 1,
      createdAt: now,
      updatedAt: now,
      path,
      ...(parent ? { parentId: parent.namespaceId } : {}),
      ...(typeof b.ownerId === 'string' ? { ownerId: b.ownerId } : {}),
    };
    this.byId.set(namespaceId, ns);
    return { status: 201, body: { namespace: ns } };
  }

  private update(ns: StoredNamespace, req: Incoming): Outgoing {
    if (req.bodyError) return problem(400, req.bodyError);
    const b = req.body === undefined ? {} : req.body;
    if (!isObject(b)) return problem(400, 'request body must be a JSON object');
    if (b.state !== undefined && b.state !== 'ARCHIVED')
      return problem(400, 'request validation failed', [{ field: 'state', rule: 'enum', message: 'state can only be set to ARCHIVED' }]);
    if (b.name !== undefined && (typeof b.name !== 'string' || !b.name))
      return problem(400, 'request validation failed', [{ field: 'name', rule: 'type', message: 'name must be a non-empty string' }]);
    if (ns.state === 'ARCHIVED') return conflict(`namespace ${ns.path} is archived`);
    if (typeof b.name === 'string' && b.name !== ns.name) {
      const path = ns.path.includes('/') ? `${ns.path.slice(0, ns.path.lastIndexOf('/'))}/${b.name}` : b.name;
      if ([...this.byId.values()].some((n) => n.path === path)) return conflict(`namespace ${path} exists`);
      for (const n of this.byId.values()) if (n.path.startsWith(`${ns.path}/`)) n.path = path + n.path.slice(ns.path.length);
      ns.name = b.name;
      ns.path = path;
    }
    if (b.state === 'ARCHIVED') ns.state = 'ARCHIVED';
    ns.revision++;
    ns.updatedAt = new Date().toISOString();
    return { status: 200, body: { namespace: ns } };
  }
}
