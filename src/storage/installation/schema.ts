/** Row types of the table created by `migrations/0008-installation.ts`. */
export interface InstallationSettingsTable {
  name: string;
  value: string;
  created_at: string;
}

export interface InstallationTables {
  installation_settings: InstallationSettingsTable;
}
