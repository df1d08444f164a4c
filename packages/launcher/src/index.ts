export { launchPlatform, type LaunchOptions, type RunningPlatform } from "./launcher.js";
