/** True when `zone` has the shape of an IANA zone name ("Europe/Paris", "UTC", "Etc/GMT+5"). Costs nothing. */
export function isTimeZoneShape(zone: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone);
}

/**
 * True when `zone` is an IANA time zone the runtime knows (e.g. "Europe/Paris",
 * "UTC"). The first call costs ~18 ms (ICU loads its zone data), so it runs
 * when a user sets a zone; a profile read checks only the shape.
 */
export function isTimeZone(zone: string): boolean {
  if (!isTimeZoneShape(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * `zone` spelled as IANA names it, whatever case it was typed in
 * ("europe/paris": "Europe/Paris", "us/pacific": "US/Pacific", "utc": "UTC");
 * a zone the runtime does not know, or one it cannot spell, as given.
 * An alias stays an alias (not renamed to the zone it resolves to): which
 * zone that is depends on the runtime's ICU (Node 20 resolves "asia/kolkata"
 * to Asia/Calcutta, IANA's old name; a runtime that follows IANA, the
 * reverse), so the CLI and the app could store different names for one choice.
 */
export function canonicalTimeZone(zone: string): string {
  if (!isTimeZoneShape(zone)) return zone;
  let named: string;
  try {
    named = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return zone;
  }
  return named.toLowerCase() === zone.toLowerCase() ? named : (aliasNamed(zone) ?? zone);
}

/**
 * The tzdata names that IANA (a Link) or ICU (CLDR) makes an alias of another
 * zone: a runtime may resolve such a name to that zone ("US/Pacific":
 * "America/Los_Angeles"; Node 20's ICU "Asia/Kolkata": "Asia/Calcutta", one
 * that follows IANA the reverse), so neither resolvedOptions() nor Intl.supportedValuesOf
 * (canonical zones only) spells it, and no runtime API lists them. From tzdata
 * 2025b and ICU 78; tests/node/time-zone.test.ts checks the system's tzdata adds none.
 */
const ALIASES = `
  Africa/Asmara Africa/Asmera Africa/Timbuktu America/Argentina/Buenos_Aires America/Argentina/Catamarca
  America/Argentina/ComodRivadavia America/Argentina/Cordoba America/Argentina/Jujuy America/Argentina/Mendoza
  America/Atikokan America/Atka America/Buenos_Aires America/Catamarca America/Coral_Harbour America/Cordoba
  America/Ensenada America/Fort_Wayne America/Godthab America/Indiana/Indianapolis America/Indianapolis
  America/Jujuy America/Kentucky/Louisville America/Knox_IN America/Kralendijk America/Louisville
  America/Lower_Princes America/Marigot America/Mendoza America/Montreal America/Nipigon America/Nuuk
  America/Pangnirtung America/Porto_Acre America/Rainy_River America/Rosario America/Santa_Isabel America/Shiprock
  America/St_Barthelemy America/Thunder_Bay America/Virgin America/Yellowknife Antarctica/South_Pole
  Arctic/Longyearbyen Asia/Ashkhabad Asia/Calcutta Asia/Choibalsan Asia/Chongqing Asia/Chungking Asia/Dacca
  Asia/Harbin Asia/Ho_Chi_Minh Asia/Istanbul Asia/Kashgar Asia/Kathmandu Asia/Katmandu Asia/Kolkata Asia/Macao
  Asia/Rangoon Asia/Saigon Asia/Tel_Aviv Asia/Thimbu Asia/Ujung_Pandang Asia/Ulan_Bator Asia/Yangon
  Atlantic/Faeroe Atlantic/Faroe Atlantic/Jan_Mayen Australia/ACT Australia/Canberra Australia/Currie
  Australia/LHI Australia/NSW Australia/North Australia/Queensland Australia/South Australia/Tasmania
  Australia/Victoria Australia/West Australia/Yancowinna Brazil/Acre Brazil/DeNoronha Brazil/East Brazil/West CET
  CST6CDT Canada/Atlantic Canada/Central Canada/Eastern Canada/Mountain Canada/Newfoundland Canada/Pacific
  Canada/Saskatchewan Canada/Yukon Chile/Continental Chile/EasterIsland Cuba EET EST EST5EDT Egypt Eire Etc/GMT
  Etc/GMT+0 Etc/GMT-0 Etc/GMT0 Etc/Greenwich Etc/UCT Etc/UTC Etc/Universal Etc/Zulu Europe/Belfast
  Europe/Bratislava Europe/Busingen Europe/Kiev Europe/Kyiv Europe/Mariehamn Europe/Nicosia Europe/Podgorica
  Europe/San_Marino Europe/Tiraspol Europe/Uzhgorod Europe/Vatican Europe/Zaporozhye GB GB-Eire GMT GMT+0 GMT-0
  GMT0 Greenwich HST Hongkong Iceland Iran Israel Jamaica Japan Kwajalein Libya MET MST MST7MDT Mexico/BajaNorte
  Mexico/BajaSur Mexico/General NZ NZ-CHAT Navajo PRC PST8PDT Pacific/Chuuk Pacific/Enderbury Pacific/Johnston
  Pacific/Kanton Pacific/Pohnpei Pacific/Ponape Pacific/Samoa Pacific/Truk Pacific/Yap Poland Portugal ROC ROK
  Singapore Turkey UCT US/Alaska US/Aleutian US/Arizona US/Central US/East-Indiana US/Eastern US/Hawaii
  US/Indiana-Starke US/Michigan US/Mountain US/Pacific US/Samoa UTC Universal W-SU WET Zulu`;

/** The alias spelled `zone` in any case, or undefined. Costs a scan of ~180 names: only a zone being set asks. */
function aliasNamed(zone: string): string | undefined {
  const lower = zone.toLowerCase();
  return ALIASES.trim().split(/\s+/).find((name) => name.toLowerCase() === lower);
}

/** Every zone the runtime lists, for pickers (UTC first). */
export function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}
