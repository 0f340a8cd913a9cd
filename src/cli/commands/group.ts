import type { Command } from 'commander';
import { storeOptions, withAccessAdmin, type StoreOptions } from './access.js';

/** `mega group create|delete|add|remove|list`: groups of users that grants can name as `@group`. */
export function registerGroupCommand(program: Command): void {
  const group = program.command('group').description('manage groups of users');
  storeOptions(group.command('create <name>').description('create a group')).action(
    (name: string, options: StoreOptions) =>
      withAccessAdmin(options, async (admin) => {
        await admin.createGroup(name);
        return [`mega: created group ${name}`];
      }),
  );
  storeOptions(
    group.command('delete <name>').description('delete a group, its memberships and grants'),
  ).action((name: string, options: StoreOptions) =>
    withAccessAdmin(options, async (admin) => {
      await admin.deleteGroup(name);
      return [`mega: deleted group ${name}`];
    }),
  );
  storeOptions(group.command('add <group> <user>').description('add a user to a group')).action(
    (name: string, user: string, options: StoreOptions) =>
      withAccessAdmin(options, async (admin) => {
        await admin.addMember(name, user);
        return [`mega: ${user} is a member of ${name}`];
      }),
  );
  storeOptions(group.command('remove <group> <user>').description('remove a user from a group')).action(
    (name: string, user: string, options: StoreOptions) =>
      withAccessAdmin(options, async (admin) => {
        await admin.removeMember(name, user);
        return [`mega: ${user} is no longer a member of ${name}`];
      }),
  );
  storeOptions(group.command('list').description('list groups and their members')).action(
    (options: StoreOptions) =>
      withAccessAdmin(options, async (admin) =>
        (await admin.listGroups()).map((entry) => `${entry.name}\t${entry.members.join(',')}`),
      ),
  );
}
